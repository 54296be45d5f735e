package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/templates"
)

// NewOptions are the inputs of `mlforge new`.
type NewOptions struct {
	Dir         string
	Template    string
	Sets        []string
	Force       bool
	NoGit       bool
	AuthorName  string
	AuthorEmail string
	JSON        bool
	CI          string
}

type newResult struct {
	Dir      string   `json:"dir"`
	Template string   `json:"template"`
	Files    []string `json:"files"`
	Commit   bool     `json:"committed"`
	Author   string   `json:"author,omitempty"`
}

func newNewCmd(f *Factory) *cobra.Command {
	opts := &NewOptions{}
	cmd := &cobra.Command{
		Use:   "new <dir>",
		Short: "Create a project from a template, as a git repository",
		Long: `Render an embedded template into <dir> and commit it as the first commit of
a new git repository. Variables come from --set, else from prompts on a
terminal, else from their defaults. See 'mlforge templates' for the list.`,
		Example: `  mlforge new taxi
  mlforge new taxi --template blank --set project_name=taxi-eta
  mlforge new taxi --ci gitlab
  mlforge new . --force --no-git`,
		Args: exactArgs(1, "one argument, the directory to create"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			return newRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Template, "template", "t", "", "template to render (default: the default one in 'mlforge templates')")
	fl.StringArrayVar(&opts.Sets, "set", nil, "set a template variable, key=value (repeatable)")
	fl.BoolVar(&opts.Force, "force", false, "write into a non-empty directory, replacing files")
	fl.BoolVar(&opts.NoGit, "no-git", false, "do not create a git repository")
	fl.StringVar(&opts.AuthorName, "author-name", "", "author of the initial commit (default: git config user.name)")
	fl.StringVar(&opts.AuthorEmail, "author-email", "", "author email of the initial commit (default: git config user.email)")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	fl.StringVar(&opts.CI, "ci", "", "CI/CD files to include: github, gitlab or none (default: the template's, github)")
	return cmd
}

func newRun(f *Factory, opts *NewOptions) error {
	cat, m, vars, abs, err := newInputs(f, opts)
	if err != nil {
		return err
	}
	name := m.Name
	files, err := cat.Render(name, vars, templates.RenderOptions{})
	if err != nil {
		return err
	}
	wopts := templates.WriteOptions{Force: opts.Force, Git: !opts.NoGit}
	if wopts.Git {
		a := templates.ResolveAuthor(opts.AuthorName, opts.AuthorEmail)
		wopts.Author = &a
	}
	if err := templates.Write(abs, files, wopts); err != nil {
		return errs.WithHint(fmt.Errorf("creating %s: %w", opts.Dir, err), "nothing was written; fix the problem and run the command again")
	}
	res := newResult{Dir: abs, Template: name, Commit: wopts.Git}
	for _, fl := range files {
		res.Files = append(res.Files, fl.Path)
	}
	if wopts.Author != nil {
		res.Author = fmt.Sprintf("%s <%s>", wopts.Author.Name, wopts.Author.Email)
	}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	printNewSummary(f, opts, m, vars, res, wopts.Author)
	return nil
}

// newInputs resolves the template, its variables and the directory.
func newInputs(f *Factory, opts *NewOptions) (*templates.Catalog, *templates.Manifest, map[string]any, string, error) {
	cat, err := f.Templates()
	if err != nil {
		return nil, nil, nil, "", err
	}
	name := opts.Template
	if name == "" {
		name = cat.Default()
	}
	m, err := cat.Get(name)
	if err != nil {
		return nil, nil, nil, "", errs.WithHint(errs.Usage(err), "run 'mlforge templates' to list them")
	}
	sets, err := templates.ParseSets(opts.Sets)
	if err != nil {
		return nil, nil, nil, "", errs.Usage(err)
	}
	if err := templates.SetCI(m, sets, opts.CI); err != nil {
		return nil, nil, nil, "", errs.Usage(err)
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, nil, nil, "", err
	}
	var ask templates.Asker
	if f.IO.CanPrompt() && !opts.JSON {
		ask = ui.NewPrompter(f.IO)
	}
	vars, err := templates.ResolveVars(m, sets, filepath.Base(abs), ask)
	if err != nil {
		return nil, nil, nil, "", errs.Usage(err)
	}
	return cat, m, vars, abs, nil
}

func printNewSummary(f *Factory, opts *NewOptions, m *templates.Manifest, vars map[string]any, res newResult, author *templates.Author) {
	fmt.Fprintf(f.IO.Out, "Created %s from template %s (%d files)\n", opts.Dir, m.Name, len(res.Files))
	if author != nil {
		fmt.Fprintf(f.IO.Out, "Initial commit by %s", res.Author)
		if author.Source == "default" {
			fmt.Fprint(f.IO.Out, " (no git user configured: set git config --global user.name/user.email, or pass --author-name/--author-email)")
		}
		fmt.Fprintln(f.IO.Out)
	}
	if m.Next == "" {
		return
	}
	data := map[string]any{"dir": opts.Dir}
	for k, v := range vars {
		data[k] = v
	}
	t, err := template.New("next").Delims("[[", "]]").Parse(m.Next)
	var b bytes.Buffer
	if err == nil && t.Execute(&b, data) == nil {
		fmt.Fprintf(f.IO.Out, "\n%s", b.String())
	}
}
