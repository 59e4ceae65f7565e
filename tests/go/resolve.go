// With -pull, each line is instead the pull sources of a qualified name: "REFERENCE=LOCATION[!]" per
// source ("!" when insecure), "blocked", or "error".
//
// resolve: the Go oracle for `crioimg resolve --registries-conf FILE NAME`: containers/image's
// shortnames.Resolve with registries.conf FILE (no drop-in directory), one line per name read from
// stdin: the candidates joined by " " or "error". Built offline from Debian's
// golang-github-containers-image-dev (GO111MODULE=off GOPATH=/usr/share/gocode).
package main

import (
	"bufio"
	_ "crypto/sha256" // go-digest knows only the algorithms linked in
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containers/image/v5/docker/reference"
	"github.com/containers/image/v5/pkg/shortnames"
	"github.com/containers/image/v5/pkg/sysregistriesv2"
	"github.com/containers/image/v5/types"
)

func main() {
	tmp, err := os.MkdirTemp("", "resolve-oracle")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	sys := &types.SystemContext{
		SystemRegistriesConfPath:    os.Args[1],
		SystemRegistriesConfDirPath: filepath.Join(tmp, "none"),
		UserShortNameAliasConfPath:  filepath.Join(tmp, "aliases.conf"),
	}
	in := bufio.NewScanner(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if os.Args[1] == "-batch" {
		batch(tmp, in, w)
		return
	}
	pull := len(os.Args) > 2 && os.Args[2] == "-pull"
	for in.Scan() {
		if pull {
			fmt.Fprintln(w, pullSources(sys, in.Text()))
			continue
		}
		r, err := shortnames.Resolve(sys, in.Text())
		if err != nil {
			fmt.Fprintln(w, "error")
			if os.Getenv("ORACLE_DEBUG") != "" {
				fmt.Fprintln(os.Stderr, err)
			}
			continue
		}
		var c []string
		for _, p := range r.PullCandidates {
			c = append(c, p.Value.String())
		}
		fmt.Fprintln(w, strings.Join(c, " "))
	}
}

func pullSources(sys *types.SystemContext, name string) string {
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "error"
	}
	reg, err := sysregistriesv2.FindRegistry(sys, ref.Name())
	if err != nil {
		return "error"
	}
	if reg == nil {
		return ref.String() + "=" + reference.Domain(ref)
	}
	if reg.Blocked {
		return "blocked"
	}
	srcs, err := reg.PullSourcesFromReference(ref)
	if err != nil {
		return "error"
	}
	var out []string
	for _, s := range srcs {
		ins := ""
		if s.Endpoint.Insecure {
			ins = "!"
		}
		out = append(out, s.Reference.String()+"="+s.Endpoint.Location+ins)
	}
	return strings.Join(out, " ")
}

// batch: "-batch NAMES PULLNAMES", registries.conf paths on stdin, each with a tab and its drop-in
// directory or none; per file
// "== PATH", then "load ok" and the resolution of each of NAMES and the pull sources of each of
// PULLNAMES, or "load refused" (the error on stderr).
func batch(tmp string, in *bufio.Scanner, w *bufio.Writer) {
	names := readLines(os.Args[2])
	pulls := readLines(os.Args[3])
	for in.Scan() {
		path, dir, _ := strings.Cut(in.Text(), "\t")
		if dir == "" {
			dir = filepath.Join(tmp, "none")
		}
		sys := &types.SystemContext{
			SystemRegistriesConfPath:    path,
			SystemRegistriesConfDirPath: dir,
			UserShortNameAliasConfPath:  filepath.Join(tmp, "aliases.conf"),
		}
		fmt.Fprintln(w, "==", path)
		if _, err := sysregistriesv2.GetRegistries(sys); err != nil {
			fmt.Fprintln(w, "load refused")
			fmt.Fprintln(os.Stderr, path+":", err)
			continue
		}
		fmt.Fprintln(w, "load ok")
		for _, n := range names {
			r, err := shortnames.Resolve(sys, n)
			if err != nil {
				fmt.Fprintln(w, "error")
				continue
			}
			var c []string
			for _, p := range r.PullCandidates {
				c = append(c, p.Value.String())
			}
			fmt.Fprintln(w, strings.Join(c, " "))
		}
		for _, n := range pulls {
			fmt.Fprintln(w, pullSources(sys, n))
		}
	}
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
