/* Footprint, "parse only": a reference parsed, normalised and printed back. */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *s = argc > 1 ? argv[1] : "nginx";
    crioimg_ref ref;
    char out[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r = crioimg_ref_parse_normalized(&ref, s, strlen(s));
    if (r != CRIOIMG_OK) { fprintf(stderr, "%s\n", crioimg_result_str(r)); return 1; }
    crioimg_ref_string(&ref, out, sizeof out);
    puts(out);
    return 0;
}
