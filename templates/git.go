package templates

import (
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Author signs the initial commit.
type Author struct {
	Name   string
	Email  string
	When   time.Time
	Source string // where it came from: flags, git config, default
}

// DefaultAuthor is used when neither flags nor git config name anyone.
var DefaultAuthor = Author{Name: "mlforge", Email: "mlforge@localhost", Source: "default"}

// ResolveAuthor picks the commit author: flags first, then the user's git
// configuration (global and system scope), then DefaultAuthor.
func ResolveAuthor(name, email string) Author {
	if name != "" && email != "" {
		return Author{Name: name, Email: email, Source: "flags"}
	}
	a := DefaultAuthor
	for _, scope := range []gitconfig.Scope{gitconfig.GlobalScope, gitconfig.SystemScope} {
		cfg, err := gitconfig.LoadConfig(scope)
		if err != nil || cfg.User.Name == "" || cfg.User.Email == "" {
			continue
		}
		a = Author{Name: cfg.User.Name, Email: cfg.User.Email, Source: "git config"}
		break
	}
	if name != "" {
		a.Name, a.Source = name, "flags"
	}
	if email != "" {
		a.Email, a.Source = email, "flags"
	}
	return a
}

// commit initialises a repository in dir and commits every file that is
// not private.
func commit(dir string, files []File, author *Author) error {
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: "refs/heads/main"},
	})
	if err != nil {
		return fmt.Errorf("git init: %w", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return fmt.Errorf("git init: %w", err)
	}
	for _, f := range files {
		if f.Private {
			continue
		}
		if _, err := wt.Add(f.Path); err != nil {
			return fmt.Errorf("git add %s: %w", f.Path, err)
		}
	}
	if author == nil {
		a := DefaultAuthor
		author = &a
	}
	when := author.When
	if when.IsZero() {
		when = time.Now()
	}
	sig := &object.Signature{Name: author.Name, Email: author.Email, When: when}
	_, err = wt.Commit("Initial commit from mlforge", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return fmt.Errorf("git commit: %w", err)
	}
	return nil
}
