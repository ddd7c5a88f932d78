package docsnippet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CheckExamples fails t for every error that the code of exampleFiles ignores: an error value
// assigned to the blank identifier (`_ = f()`, `v, _ := f()`), and a call whose error result is
// dropped (`kr.Add(k)`, `d.StartTrial()`), in every function of the files, Examples and their
// helpers alike. A deferred call, and the print functions of fmt and the writes to a
// strings.Builder or bytes.Buffer (which report no error worth handling), are not counted.
//
// The files are Go files of the package in the current directory, as a test runs in it; the
// package is type-checked with its test files, against the export data `go list -export` gives,
// so that what is an error is known from the types, not guessed from names.
func CheckExamples(t testing.TB, exampleFiles ...string) {
	t.Helper()
	problems, err := ignoredErrors(exampleFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
}

// listed is what `go list` says of one package.
type listed struct {
	ImportPath   string
	Dir          string
	Export       string
	GoFiles      []string
	TestGoFiles  []string
	XTestGoFiles []string
}

// ignoredErrors type-checks the package of files and lists each ignored error in them.
func ignoredErrors(files []string) ([]string, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("docsnippet: no example file")
	}
	pkgs, err := goList("-export", "-deps", "-test", ".")
	if err != nil {
		return nil, err
	}
	self, err := goList(".")
	if err != nil {
		return nil, err
	}
	if len(self) != 1 {
		return nil, fmt.Errorf("docsnippet: go list . gave %d packages", len(self))
	}
	// Export data by import path; a package's test variant (the one the test binary links, with its
	// _test.go files) wins over the plain one.
	export := map[string]string{}
	for _, p := range pkgs {
		path, variant, _ := strings.Cut(p.ImportPath, " [")
		if _, ok := export[path]; ok && variant == "" {
			continue
		}
		export[path] = p.Export
	}

	fset := token.NewFileSet()
	clause, err := parser.ParseFile(fset, files[0], nil, parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	pkgFiles, path := self[0].XTestGoFiles, self[0].ImportPath+"_test"
	if !strings.HasSuffix(clause.Name.Name, "_test") {
		pkgFiles, path = append(append([]string{}, self[0].GoFiles...), self[0].TestGoFiles...), self[0].ImportPath
	}
	var asts []*ast.File
	byName := map[string]*ast.File{}
	for _, name := range pkgFiles {
		f, err := parser.ParseFile(fset, filepath.Join(self[0].Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		asts = append(asts, f)
		byName[name] = f
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		name, ok := export[path]
		if !ok || name == "" {
			return nil, fmt.Errorf("docsnippet: no export data for %q", path)
		}
		return os.Open(name)
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{Importer: imp}).Check(path, fset, asts, info); err != nil {
		return nil, fmt.Errorf("docsnippet: type-checking %s: %w", path, err)
	}

	var problems []string
	for _, name := range files {
		f, ok := byName[filepath.Base(name)]
		if !ok {
			return nil, fmt.Errorf("docsnippet: %s is not a file of package %s", name, path)
		}
		report := func(n ast.Node, what string) {
			pos := fset.Position(n.Pos())
			problems = append(problems, fmt.Sprintf("%s:%d: %s", filepath.Base(pos.Filename), pos.Line, what))
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.DeferStmt:
				return false
			case *ast.AssignStmt:
				blankErrors(info, n.Lhs, n.Rhs, func(i int) { report(n.Lhs[i], "an error is assigned to _") })
			case *ast.ValueSpec:
				lhs := make([]ast.Expr, len(n.Names))
				for i, id := range n.Names {
					lhs[i] = id
				}
				blankErrors(info, lhs, n.Values, func(i int) { report(n.Names[i], "an error is assigned to _") })
			case *ast.ExprStmt:
				if call, ok := n.X.(*ast.CallExpr); ok && returnsError(info.Types[call].Type) && !harmless(info, call) {
					report(call, "the call's error is dropped: "+types.ExprString(call.Fun))
				}
			}
			return true
		})
	}
	return problems, nil
}

// blankErrors calls found with the index of each blank identifier on the left that receives an
// error.
func blankErrors(info *types.Info, lhs, rhs []ast.Expr, found func(i int)) {
	got := make([]types.Type, len(lhs))
	switch {
	case len(rhs) == len(lhs):
		for i, r := range rhs {
			got[i] = info.Types[r].Type
		}
	case len(rhs) == 1:
		if tup, ok := info.Types[rhs[0]].Type.(*types.Tuple); ok {
			for i := 0; i < tup.Len() && i < len(lhs); i++ {
				got[i] = tup.At(i).Type()
			}
		}
	}
	for i, l := range lhs {
		if id, ok := l.(*ast.Ident); ok && id.Name == "_" && isError(got[i]) {
			found(i)
		}
	}
}

// errorType is the predeclared error interface.
var errorType = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)

// isError reports whether t is an error: the error interface, or a type that implements it.
func isError(t types.Type) bool {
	return t != nil && types.Implements(t, errorType)
}

// returnsError reports whether a call's result (one value or a tuple) holds an error.
func returnsError(t types.Type) bool {
	if tup, ok := t.(*types.Tuple); ok {
		for i := 0; i < tup.Len(); i++ {
			if isError(tup.At(i).Type()) {
				return true
			}
		}
		return false
	}
	return isError(t)
}

// harmless reports whether call is one whose error an example may drop: fmt's print functions,
// and the writes of a strings.Builder or a bytes.Buffer, which never fail.
func harmless(info *types.Info, call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() {
	case "fmt":
		return strings.HasPrefix(fn.Name(), "Print") || strings.HasPrefix(fn.Name(), "Fprint")
	case "strings", "bytes":
		recv := fn.Type().(*types.Signature).Recv()
		if recv == nil {
			return false
		}
		name := types.TypeString(recv.Type(), nil)
		return (name == "*strings.Builder" || name == "*bytes.Buffer") && strings.HasPrefix(fn.Name(), "Write")
	}
	return false
}

// goList runs go list -json with args in the current directory.
func goList(args ...string) ([]listed, error) {
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Dir,Export,GoFiles,TestGoFiles,XTestGoFiles"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("docsnippet: go list %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("docsnippet: reading go list's output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
