package stack

import (
	"context"
	"sort"
)

// Unbuilt lists, among services, those that need no image built here and
// none of whose dependencies do (through depends_on, transitively): they
// can start while the images of the others are built.
func Unbuilt(m *Model, services []Service) []Service {
	memo := map[string]bool{}
	var needsBuild func(name string, seen map[string]bool) bool
	needsBuild = func(name string, seen map[string]bool) bool {
		if v, ok := memo[name]; ok {
			return v
		}
		s, ok := m.Services[name]
		if !ok || seen[name] {
			return !ok
		}
		seen[name] = true
		v := s.Build != nil
		for dep := range s.DependsOn {
			v = v || needsBuild(dep, seen)
		}
		memo[name] = v
		return v
	}
	var out []Service
	for _, s := range services {
		if !needsBuild(s.Name, map[string]bool{}) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StartEarly starts services that need no build (pulling what is missing)
// in the background and returns a function waiting for it to finish. It
// only saves time: the start step that follows starts every service and
// waits for each to be healthy, whatever happened here, so its error is
// deliberately dropped.
func StartEarly(ctx context.Context, c Compose, services []Service) (wait func()) {
	if len(services) == 0 {
		return func() {}
	}
	args := []string{"up", "--detach", "--no-build"}
	for _, s := range services {
		args = append(args, s.Name)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		out := &syncBuffer{}
		_ = c.Run(ctx, args, out, out)
	}()
	return func() { <-done }
}
