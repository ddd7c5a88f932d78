package lmc

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lmskit/lmskit/internal/atomicfile"
	"github.com/lmskit/lmskit/keycode"
)

// A Source tells the LMC its host's key code: the PBX's hardware key code ([PBXSource], or
// [StaticSource] where the code is entered by hand), or the UIP code the LMC generates for itself
// ([UIPSource]). The LMC turns it into its LMC code (the `LM…` or `LMIS…` form; a UIP code is used as
// it is) and accepts files bound to that.
type Source interface {
	// HostCode returns the host's key code now, or an error when the source cannot tell (the
	// PBX unreachable); the LMC then keeps serving from the code it remembers.
	HostCode(ctx context.Context) (keycode.Code, error)
}

// StaticSource returns a Source that always gives code.
func StaticSource(code keycode.Code) Source { return staticSource{code} }

type staticSource struct{ code keycode.Code }

func (s staticSource) check() error {
	if s.code.IsZero() {
		return fmt.Errorf("%w: a static source without a code", ErrBadSource)
	}
	_, err := lmcCodeOf(s.code)
	return err
}

// checker is a source that can tell, without asking anyone, that it is misconfigured.
type checker interface{ check() error }

func (s staticSource) HostCode(context.Context) (keycode.Code, error) {
	if s.code.IsZero() {
		return keycode.Code{}, errNoSourceCode
	}
	return s.code, nil
}

// UIPFile is the name of the file, in the LMC's directory, that keeps the UIP code.
const UIPFile = "uip-code"

// UIPSource returns the Source of a Univerge Integration Platform LMC: a UIP code ("LM" + 28 hex
// digits, [keycode.NewUIP]) generated with random bytes from rand (nil means crypto/rand) the first
// time it is asked, written atomically to dir/uip-code, and read from there ever after. A file that
// exists but does not hold a valid UIP code (its check digits included) is an error, never a reason
// to make a new code: the licenses are bound to the old one. Only one process should use a
// directory (the LMC is one per machine).
func UIPSource(dir string, rand io.Reader) Source {
	if rand == nil {
		rand = crand.Reader
	}
	return &uipSource{path: filepath.Join(dir, UIPFile), rand: rand}
}

type uipSource struct {
	path string
	rand io.Reader

	mu   sync.Mutex
	code keycode.Code
}

func (s *uipSource) HostCode(context.Context) (keycode.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.code.IsZero() {
		return s.code, nil
	}
	b, err := os.ReadFile(s.path)
	switch {
	case err == nil:
		c, err := parseUIP(string(b))
		if err != nil {
			return keycode.Code{}, fmt.Errorf("lmc: %s: %w", s.path, err)
		}
		s.code = c
		return c, nil
	case !errors.Is(err, fs.ErrNotExist):
		return keycode.Code{}, fmt.Errorf("lmc: reading the UIP code: %w", err)
	}
	c, err := keycode.NewUIP(s.rand)
	if err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: generating the UIP code: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: %w", err)
	}
	if err := atomicfile.WriteFile(s.path, []byte(c.String()+"\n"), 0o600); err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: keeping the UIP code: %w", err)
	}
	s.code = c
	return c, nil
}

func parseUIP(s string) (keycode.Code, error) {
	c, err := keycode.Parse(keycode.LMC, strings.TrimSpace(s))
	if err != nil {
		return keycode.Code{}, err
	}
	if c.Form() != keycode.FormUIP {
		return keycode.Code{}, fmt.Errorf("%s is a %s, not a UIP code", c, c.Form())
	}
	if err := c.Verify(); err != nil {
		return keycode.Code{}, err
	}
	return c, nil
}
