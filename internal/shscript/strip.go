// Package shscript prepares shell scripts that travel in size-limited
// places, such as EC2 user data (16 KB).
package shscript

import (
	"regexp"
	"strings"
)

// heredoc finds a here-document operator and its delimiter word (quoted
// or not, with or without the tab-stripping dash).
var heredoc = regexp.MustCompile(`<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)(['"]?)`)

// StripComments removes the lines that are only a comment (and blank
// lines) from a POSIX shell script: what a reader needs, the shell does
// not. The first line (#!) stays, here-document bodies are kept byte for
// byte, and a # anywhere else in a line is left alone (it may be data).
func StripComments(script string) string {
	lines := strings.Split(script, "\n")
	out := make([]string, 0, len(lines))
	var until []string // delimiters of the here-documents still open, in order
	for i, line := range lines {
		if len(until) > 0 {
			out = append(out, line)
			if strings.TrimLeft(line, "\t") == until[0] {
				until = until[1:]
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		if i > 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		out = append(out, line)
		for _, m := range heredoc.FindAllStringSubmatch(line, -1) {
			until = append(until, m[3])
		}
	}
	return strings.Join(out, "\n")
}
