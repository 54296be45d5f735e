// Package quietterm keeps dependencies from querying the terminal while
// the program's packages initialise.
//
// The Pulumi SDK imports Bubble Tea, whose package initialiser asks the
// terminal for its background colour and cursor position and waits up to
// five seconds for an answer. Under a pseudo-terminal that never answers
// (script(1), `docker run -t` without -i, some CI runners) every command
// would stall and print the raw queries. termenv, which sends them, does
// not query when TERM is "dumb".
//
// Go initialises packages in import-path order among those whose imports
// are ready (the language specification, "Package initialization"): this
// package imports only os, and its path sorts before github.com/muesli/termenv,
// so its init runs before termenv's and therefore before Bubble Tea's. It
// sets TERM=dumb for the initialisers; main calls Restore before anything
// else, so mlforge and the programs it starts see the user's TERM.
package quietterm

import "os"

// term is the user's TERM as the process started with it.
var term, hadTerm = os.LookupEnv("TERM")

func init() {
	_ = os.Setenv("TERM", "dumb")
}

// Restore gives TERM back the value the process started with.
func Restore() {
	if hadTerm {
		_ = os.Setenv("TERM", term)
		return
	}
	_ = os.Unsetenv("TERM")
}
