package remote

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// archive is the image archive `docker save` wrote here for every image
// to ship at once, each layer in it once however many images share it:
// which layer files hold which layer chains, and the same archive,
// compressed, without the layers the host has.
type archive struct {
	f *os.File
	// layers maps each layer file to the chain IDs it holds (one, unless
	// a layer repeats); nil when the layout is unknown, and then every
	// file is sent.
	layers map[string][]string
	sizes  map[string]int64 // every regular file's size
}

// manifestEntry is one image of the archive's manifest.json.
type manifestEntry struct {
	Config string   `json:"Config"`
	Layers []string `json:"Layers"`
}

// readArchive reads the archive's index: its manifest, the images'
// configurations and every file's size (the layers themselves are
// skipped over, not read).
func readArchive(f *os.File) (*archive, error) {
	a := &archive{f: f, sizes: map[string]int64{}}
	files, err := a.readFiles(func(name string) bool {
		return name == "manifest.json" || strings.HasSuffix(name, ".json") || strings.HasPrefix(name, "blobs/")
	})
	if err != nil {
		return nil, err
	}
	var manifest []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		return nil, fmt.Errorf("reading the saved images' manifest: %w", err)
	}
	layers := map[string][]string{}
	for _, m := range manifest {
		var cfg struct {
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if err := json.Unmarshal(files[m.Config], &cfg); err != nil || len(cfg.RootFS.DiffIDs) != len(m.Layers) {
			return a, nil // unknown layout: ship everything
		}
		for i, c := range chainIDs(cfg.RootFS.DiffIDs) {
			layers[m.Layers[i]] = append(layers[m.Layers[i]], c)
		}
	}
	a.layers = layers
	return a, nil
}

// readFiles records every regular file's size and returns the small
// files want selects (JSON configurations and manifests; large blobs are
// skipped by size). The tar reader seeks over the files it does not read.
func (a *archive) readFiles(want func(string) bool) (map[string][]byte, error) {
	if _, err := a.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	tr := tar.NewReader(a.f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		a.sizes[h.Name] = h.Size
		if want(h.Name) && h.Size < 4<<20 {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			out[h.Name] = b
		}
	}
}

// omitted lists the layer files every chain of which the host has.
func (a *archive) omitted(have map[string]bool) map[string]bool {
	omit := map[string]bool{}
	for name, cs := range a.layers {
		all := len(cs) > 0
		for _, c := range cs {
			all = all && have[c]
		}
		if all {
			omit[name] = true
		}
	}
	return omit
}

// size is the bytes of the files sent when omit is left out.
func (a *archive) size(omit map[string]bool) int64 {
	var n int64
	for name, s := range a.sizes {
		if !omit[name] {
			n += s
		}
	}
	return n
}

// copyTo writes the archive to w, compressed with c, without the omitted
// files, adding the bytes of the files it has copied to done as it goes.
func (a *archive) copyTo(w io.Writer, omit map[string]bool, c Codec, done *atomic.Int64) error {
	if _, err := a.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, err := compressor(c, w)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	tr := tar.NewReader(a.f) // seeks over the omitted files
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if omit[h.Name] {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		n, err := io.Copy(tw, tr)
		done.Add(n)
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// chainIDs computes the layer chain IDs of a list of diff IDs, the key
// under which an engine stores a layer together with those below it.
func chainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1] + " " + d))
		out[i] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return out
}
