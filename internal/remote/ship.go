package remote

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// ShipImages copies images from this machine's engine to the host's,
// image by image, skipping those the host already has and, inside an
// image, the layers the host already has: a one-line code change ships one
// small layer, not the whole image.
type ShipImages struct {
	Local, Remote *client.Client
	// Refs are the images this machine built: always shipped when the
	// host's differ.
	Refs []string
	// Pull are the stack's other images: the host pulls them itself, and
	// they are shipped from here only when it cannot (no registry).
	Pull []string

	Shipped, Skipped []string
	Bytes            int64 // compressed bytes sent
}

func (s *ShipImages) String() string { return "ship images" }

// Run implements pipeline.Step.
func (s *ShipImages) Run(ctx context.Context, r pipeline.Reporter) error {
	var hostChains map[string]bool
	refs := append([]string(nil), s.Refs...)
	for _, ref := range s.Pull {
		if _, err := s.Remote.ImageInspect(ctx, ref); err == nil {
			s.Skipped = append(s.Skipped, ref)
			continue
		}
		r.Update("pulling " + ref + " on the host")
		if err := s.pull(ctx, ref); err == nil {
			s.Skipped = append(s.Skipped, ref)
			continue
		} else if _, lerr := s.Local.ImageInspect(ctx, ref); lerr != nil {
			return fmt.Errorf("image %s: the host cannot pull it (%v) and this machine does not have it", ref, err)
		}
		refs = append(refs, ref)
	}
	for _, ref := range refs {
		local, err := s.Local.ImageInspect(ctx, ref)
		if err != nil {
			return fmt.Errorf("image %s is not on this machine: %w", ref, err)
		}
		if remote, err := s.Remote.ImageInspect(ctx, ref); err == nil && remote.ID == local.ID {
			s.Skipped = append(s.Skipped, ref)
			continue
		}
		if hostChains == nil {
			if hostChains, err = s.chains(ctx); err != nil {
				return err
			}
		}
		r.Update("shipping " + ref)
		n, err := s.ship(ctx, ref, hostChains)
		if err != nil {
			return fmt.Errorf("shipping %s: %w", ref, err)
		}
		s.Bytes += n
		s.Shipped = append(s.Shipped, ref)
		// Later images reuse the layers this one brought.
		for _, c := range chainIDs(local.RootFS.Layers) {
			hostChains[c] = true
		}
	}
	r.Update(fmt.Sprintf("%d shipped (%s), %d already there", len(s.Shipped), human(s.Bytes), len(s.Skipped)))
	return nil
}

func (s *ShipImages) pull(ctx context.Context, ref string) error {
	resp, err := s.Remote.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

// chains returns the chain IDs of every layer the host has.
func (s *ShipImages) chains(ctx context.Context) (map[string]bool, error) {
	list, err := s.Remote.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the host's images: %w", err)
	}
	out := map[string]bool{}
	for _, img := range list.Items {
		res, err := s.Remote.ImageInspect(ctx, img.ID)
		if err != nil {
			continue
		}
		for _, c := range chainIDs(res.RootFS.Layers) {
			out[c] = true
		}
	}
	return out, nil
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

// ship saves ref to a temporary file, then streams it gzipped to the
// host's engine without the layers the host has (docker load reads a layer
// file only when the layer is missing).
func (s *ShipImages) ship(ctx context.Context, ref string, hostChains map[string]bool) (int64, error) {
	tmp, err := os.CreateTemp("", "mlforge-image-*.tar")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	saved, err := s.Local.ImageSave(ctx, []string{ref})
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(tmp, saved)
	saved.Close()
	if err != nil {
		return 0, err
	}
	omit, err := omittedLayers(tmp, hostChains)
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	counter := &countingWriter{w: pw}
	go func() { pw.CloseWithError(filterTar(tmp, counter, omit)) }()
	res, err := s.Remote.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		pr.CloseWithError(err)
		return counter.n, err
	}
	defer res.Close()
	if err := loadErrors(res); err != nil {
		return counter.n, err
	}
	return counter.n, nil
}

type manifestEntry struct {
	Config string   `json:"Config"`
	Layers []string `json:"Layers"`
}

// omittedLayers lists the layer files of a saved image whose chain the
// host already has.
func omittedLayers(f *os.File, hostChains map[string]bool) (map[string]bool, error) {
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
	omit := map[string]bool{}
	for _, m := range manifest {
		var cfg struct {
			RootFS struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
		}
		if err := json.Unmarshal(files[m.Config], &cfg); err != nil || len(cfg.RootFS.DiffIDs) != len(m.Layers) {
			return map[string]bool{}, nil // unknown layout: ship everything
		}
		for i, c := range chainIDs(cfg.RootFS.DiffIDs) {
			if hostChains[c] {
				omit[m.Layers[i]] = true
			}
		}
	}
	return omit, nil
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

// filterTar copies the tar in f to w, gzipped, without the omitted files.
func filterTar(f *os.File, w io.Writer, omit map[string]bool) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
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

// loadErrors reads docker load's JSON message stream for an error.
func loadErrors(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
