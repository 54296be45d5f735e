package remote

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// The image archive `docker save` writes: which layer files hold which
// layer chains, and the same archive, compressed, without the layers the
// host has.

// manifestEntry is one image of the archive's manifest.json.
type manifestEntry struct {
	Config string   `json:"Config"`
	Layers []string `json:"Layers"`
}

// layerFiles maps each layer file of a saved image to the chain IDs it
// holds (one, unless a layer repeats in the image); nil when the layout is
// unknown, and then every file is sent.
func layerFiles(f *os.File) (map[string][]string, error) {
	files, err := readTarFiles(f, func(name string) bool {
		return name == "manifest.json" || strings.HasSuffix(name, ".json") || strings.HasPrefix(name, "blobs/")
	})
	if err != nil {
		return nil, err
	}
	var manifest []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		return nil, fmt.Errorf("reading the saved image's manifest: %w", err)
	}
	out := map[string][]string{}
	for _, m := range manifest {
		var cfg struct {
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if err := json.Unmarshal(files[m.Config], &cfg); err != nil || len(cfg.RootFS.DiffIDs) != len(m.Layers) {
			return nil, nil // unknown layout: ship everything
		}
		for i, c := range chainIDs(cfg.RootFS.DiffIDs) {
			out[m.Layers[i]] = append(out[m.Layers[i]], c)
		}
	}
	return out, nil
}

// allChains lists the chains of the layer files, in a stable order.
func allChains(files map[string][]string) []string {
	var out []string
	for _, cs := range files {
		out = append(out, cs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// omitted lists the layer files every chain of which the host has.
func omitted(files map[string][]string, have map[string]bool) map[string]bool {
	omit := map[string]bool{}
	for name, cs := range files {
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

// readTarFiles returns the small files of a tar that want selects (JSON
// configs and manifests; large blobs are skipped by size).
func readTarFiles(f *os.File, want func(string) bool) (map[string][]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg && want(h.Name) && h.Size < 4<<20 {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			out[h.Name] = b
		}
	}
}

// filterTar copies the tar in f to w, compressed with c, without the
// omitted files.
func filterTar(f *os.File, w io.Writer, omit map[string]bool, c Codec) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, err := compressor(c, w)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	tr := tar.NewReader(bufio.NewReader(f))
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
		if _, err := io.Copy(tw, tr); err != nil {
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
