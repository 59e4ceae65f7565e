// The oracle for tests/go_diff_policy.sh: containers/image's signature.NewPolicyFromBytes, with every
// transport registered (alltransports), on documents given one a line as "D <base64>"; prints "OK" or
// "ERR <error text>" (newlines in a text written as spaces), one line per document.
package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/containers/image/v5/signature"
	_ "github.com/containers/image/v5/transports/alltransports"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<23)
	for sc.Scan() {
		doc, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sc.Text(), "D "))
		if err != nil {
			fmt.Println("ERR bad input line")
			continue
		}
		if _, err := signature.NewPolicyFromBytes(doc); err != nil {
			fmt.Println("ERR " + strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Println("OK")
		}
	}
}
