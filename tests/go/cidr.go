// cidr: the Go oracle for crioimg's IP and CIDR parsing (net.ParseIP, net.ParseCIDR), one line per
// input line from stdin: "ip ADDR", "cidr FIRST LAST", both, or "none". IPv4 networks print as IPv4.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		s := in.Text()
		out := ""
		if ip := net.ParseIP(s); ip != nil {
			out += "ip " + ip.String()
		}
		if _, n, err := net.ParseCIDR(s); err == nil {
			last := make(net.IP, len(n.IP))
			for i := range n.IP {
				last[i] = n.IP[i] | ^n.Mask[i]
			}
			if out != "" {
				out += " "
			}
			out += "cidr " + n.IP.String() + " " + last.String()
		}
		if out == "" {
			out = "none"
		}
		fmt.Fprintln(w, out)
	}
}
