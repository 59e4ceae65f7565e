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
