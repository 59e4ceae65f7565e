// refparse: the Go oracle for crioimg's reference parser.
//
// It runs github.com/containers/image/docker/reference (the same code as
// github.com/docker/distribution/reference) over every line of stdin and prints one JSON object per line:
//
//	{"input":IN,"name":N,"domain":D,"path":P,"tag":T,"digest":G,"familiar":F,"string":S}
//	{"input":IN,"error":E}
//
// Lines are split on '\n' only (a '\r' stays in the input); a last line without '\n' still counts.
// Strings are escaped as encoding/json does, without HTML escaping.
//
//	refparse [--any] [--quiet] < lines     --any: ParseAnyReference instead of ParseNormalizedNamed
//	refparse --bench-inproc FILE N          time N ParseNormalizedNamed calls over FILE's lines
//
// Build offline (Debian's golang-github-containers-image-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o refparse refparse.go
package main

import (
	"bufio"
	"bytes"
	// go-digest checks an algorithm's availability through crypto.Hash.Available(): every program that
	// parses digests (containers/image, docker) links these two in, so the oracle does too.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/containers/image/docker/reference"
)

// appendJSONString appends s as a JSON string exactly as a json.Encoder with SetEscapeHTML(false) writes
// it (invalid UTF-8 becomes \ufffd, U+2028/U+2029 are escaped), without the Encoder's per-call cost.
func appendJSONString(dst []byte, s string) []byte {
	// Fast path: printable ASCII without '"' or '\\' is copied as is.
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			simple = false
			break
		}
	}
	if simple {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	return append(dst, b[:len(b)-1]...) // drop the Encoder's '\n'
}

func appendField(dst []byte, key, val string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, val)
}

func appendResult(dst []byte, in string, ref reference.Reference, err error) []byte {
	dst = append(dst, '{')
	dst = appendField(dst, "input", in, true)
	if err != nil {
		dst = appendField(dst, "error", err.Error(), false)
		return append(dst, '}', '\n')
	}
	var name, domain, path, tag, dgst string
	if named, ok := ref.(reference.Named); ok {
		name = named.Name()
		domain = reference.Domain(named)
		path = reference.Path(named)
	}
	if t, ok := ref.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if d, ok := ref.(reference.Digested); ok {
		dgst = d.Digest().String()
	}
	dst = appendField(dst, "name", name, false)
	dst = appendField(dst, "domain", domain, false)
	dst = appendField(dst, "path", path, false)
	dst = appendField(dst, "tag", tag, false)
	dst = appendField(dst, "digest", dgst, false)
	dst = appendField(dst, "familiar", reference.FamiliarString(ref), false)
	dst = appendField(dst, "string", ref.String(), false)
	return append(dst, '}', '\n')
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "refparse: "+format+"\n", a...)
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: refparse [--any] [--quiet] < lines\n       refparse --bench-inproc FILE N")
	os.Exit(2)
}

// readLines splits data on '\n'; a final piece without '\n' is a line when it is not empty.
func readLines(data []byte) []string {
	var lines []string
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, string(data))
			break
		}
		lines = append(lines, string(data[:i]))
		data = data[i+1:]
	}
	return lines
}

var sink int

// benchInproc mirrors bench/bench_ref.c: a warm-up pass over every reference, then n calls round-robin
// in 3 rounds of n/3; the fastest round gives go_ns_per_call, all rounds together go_allocs_per_call.
func benchInproc(file string, n int) {
	data, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	refs := readLines(data)
	if len(refs) == 0 {
		die("%s: no references", file)
	}
	ok := 0
	for _, r := range refs {
		if _, err := reference.ParseNormalizedNamed(r); err == nil {
			ok++
		}
	}
	perRound := n / 3
	if perRound == 0 {
		perRound = 1
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	best := 0.0
	j, sum := 0, 0
	for round := 0; round < 3; round++ {
		start := time.Now()
		for i := 0; i < perRound; i++ {
			if named, err := reference.ParseNormalizedNamed(refs[j]); err == nil {
				sum += len(named.Name())
			}
			j++
			if j == len(refs) {
				j = 0
			}
		}
		t := float64(time.Since(start).Nanoseconds()) / float64(perRound)
		if round == 0 || t < best {
			best = t
		}
	}
	runtime.ReadMemStats(&after)
	sink = sum
	fmt.Printf("go_refs %d\n", len(refs))
	fmt.Printf("go_ok %d\n", ok)
	fmt.Printf("go_ns_per_call %.2f\n", best)
	fmt.Printf("go_allocs_per_call %.2f\n", float64(after.Mallocs-before.Mallocs)/float64(3*perRound))
}

func main() {
	anyRef, quiet := false, false
	args := os.Args[1:]
	for len(args) > 0 {
		switch args[0] {
		case "--any":
			anyRef = true
		case "--quiet":
			quiet = true
		case "--bench-inproc":
			if len(args) != 3 {
				usage()
			}
			n, err := strconv.Atoi(args[2])
			if err != nil || n <= 0 {
				die("bad call count %q", args[2])
			}
			benchInproc(args[1], n)
			return
		default:
			usage()
		}
		args = args[1:]
	}

	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	var buf []byte
	for {
		// ReadBytes has no length limit, so lines of 1 MiB and more are fine.
		line, rerr := in.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			die("read: %v", rerr)
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		} else if len(line) == 0 && rerr == io.EOF {
			break
		}
		s := string(line)
		var ref reference.Reference
		var err error
		if anyRef {
			ref, err = reference.ParseAnyReference(s)
		} else {
			ref, err = reference.ParseNormalizedNamed(s)
		}
		if !quiet {
			buf = appendResult(buf[:0], s, ref, err)
			if _, werr := out.Write(buf); werr != nil {
				die("write: %v", werr)
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if err := out.Flush(); err != nil {
		die("write: %v", err)
	}
}
