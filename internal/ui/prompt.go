package ui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mlforge/mlforge/internal/iostreams"
)

// ErrNoPrompt is returned when a question would need a terminal.
var ErrNoPrompt = errors.New("cannot prompt: stdin is not a terminal")

// Prompter asks the user questions on a terminal.
type Prompter struct {
	ios *iostreams.IOStreams
	r   *bufio.Reader
}

// NewPrompter reads answers from ios.In and asks on ios.ErrOut.
func NewPrompter(ios *iostreams.IOStreams) *Prompter {
	return &Prompter{ios: ios, r: bufio.NewReader(ios.In)}
}

// Confirm asks a yes/no question; the default answer is no.
func (p *Prompter) Confirm(question string) (bool, error) {
	if !p.ios.CanPrompt() {
		return false, ErrNoPrompt
	}
	fmt.Fprintf(p.ios.ErrOut, "? %s [y/N] ", question)
	line, err := p.r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// Input asks for a value, offering def; validate may reject the answer, in
// which case the question is asked again.
func (p *Prompter) Input(question, help, def string, validate func(string) error) (string, error) {
	if !p.ios.CanPrompt() {
		return "", ErrNoPrompt
	}
	for {
		fmt.Fprintf(p.ios.ErrOut, "? %s", question)
		if help != "" {
			fmt.Fprintf(p.ios.ErrOut, " (%s)", help)
		}
		if def != "" {
			fmt.Fprintf(p.ios.ErrOut, " [%s]", def)
		}
		fmt.Fprint(p.ios.ErrOut, ": ")
		line, err := p.r.ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("reading answer: %w", err)
		}
		answer := strings.TrimSpace(line)
		if answer == "" {
			answer = def
		}
		if validate == nil {
			return answer, nil
		}
		verr := validate(answer)
		if verr == nil {
			return answer, nil
		}
		fmt.Fprintf(p.ios.ErrOut, "  %v\n", verr)
	}
}
