// gen_unicode_print prints the runes >= U+0080 that Go's strconv.IsPrint rejects, as the byte table
// crioimg__print_not of src/ref.c: Go's %q escapes exactly these, and crioimg's error texts quote
// inputs the way Go's do.
//
//	GO111MODULE=off go run tools/gen_unicode_print.go
//
// The table is the ranges in order, each as two unsigned LEB128 numbers (7 bits a byte, low first, the
// top bit set on every byte but the last): its first rune's distance past the previous range's last
// (past U+007F for the first), then its length less one. 1.4 KB, where the ranges as 16- and 32-bit
// pairs took 4 KB; it is read from the start (only error texts quote non-ASCII runes).
package main

import (
	"fmt"
	"strconv"
	"unicode"
)

func uvarint(v rune) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v&0x7f|0x80))
		v >>= 7
	}
	return append(b, byte(v))
}

func main() {
	type span struct{ lo, hi rune }
	var out []span
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if (r >= 0xd800 && r <= 0xdfff) || strconv.IsPrint(r) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].hi == r-1 {
			out[n-1].hi = r
			continue
		}
		out = append(out, span{r, r})
	}
	var enc []byte
	prev := rune(0x7f)
	for _, s := range out {
		enc = append(enc, uvarint(s.lo-prev-1)...)
		enc = append(enc, uvarint(s.hi-s.lo)...)
		prev = s.hi
	}
	fmt.Printf("/* from Go 1.19's strconv.IsPrint (Unicode %s) by tools/gen_unicode_print.go: %d ranges */\n", unicode.Version, len(out))
	fmt.Println("static const unsigned char crioimg__print_not[] = {")
	for i, b := range enc {
		fmt.Printf("%d,", b)
		if i%32 == 31 || i == len(enc)-1 {
			fmt.Println()
		}
	}
	fmt.Println("};")
}
