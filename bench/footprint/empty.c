/* The baseline: an empty program built the same way; its size is subtracted from every other one. */
int main(void) { return 0; }
