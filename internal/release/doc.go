// Package release holds the tests of what mlforge ships besides its code:
// install.sh, the GitHub Action (action.yml) and the devcontainer Feature
// (features/). They run against a snapshot release that goreleaser builds
// from .goreleaser.yaml (linux/amd64 only) and a release server on
// 127.0.0.1 that serves it the way GitHub releases are laid out.
package release
