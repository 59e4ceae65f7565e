// gen_unicode_lower prints the table of runes >= U+0080 that Go's unicode.ToLower changes, as
// {lo, hi, stride} ranges for src/ref.c (crioimg__ref_lower_ranges). The table makes crioimg's
// "must be lowercase" decision byte-for-byte the one Go's strings.ToLower makes.
//
//	GO111MODULE=off go run tools/gen_unicode_lower.go
package main

import (
	"fmt"
	"unicode"
)

func main() {
	type span struct{ lo, hi, stride rune }
	var out []span
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if (r >= 0xd800 && r <= 0xdfff) || unicode.ToLower(r) == r {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.lo == last.hi && r-last.hi <= 2 {
				last.stride, last.hi = r-last.hi, r
				continue
			}
			if last.lo != last.hi && r-last.hi == last.stride {
				last.hi = r
				continue
			}
		}
		out = append(out, span{r, r, 1})
	}
	fmt.Printf("/* %d ranges, from Go %s's unicode tables (Unicode %s) by tools/gen_unicode_lower.go */\n", len(out), "1.19", unicode.Version)
	for i, s := range out {
		fmt.Printf(" CRIOIMG__LR(0x%x,0x%x,%d),", s.lo, s.hi, s.stride)
		if i%3 == 2 {
			fmt.Println()
		}
	}
	fmt.Println()
}
