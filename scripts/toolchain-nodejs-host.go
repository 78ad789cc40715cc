//go:build toolchain_nodejs_host

// pulumi-language-nodejs: a small Node.js language host for the Pulumi CLI.
//
// Why this file exists: the Go module proxy reachable from our machines refuses every version of
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 (HTTP 403), so the upstream language
// host cannot be built here. scripts/toolchain.sh compiles this file instead (against the same
// github.com/pulumi/pulumi/sdk/v3 release as the CLI) and installs it as bin/pulumi-language-nodejs.
//
// It implements the parts of the LanguageRuntime gRPC protocol that `pulumi preview/up/destroy`,
// Node.js policy packs (`--policy-pack`), `pulumi install` and `pulumi about` use:
//   - Run:               node <@pulumi/pulumi/cmd/run> --monitor ... <program>  (exit 32 = bail)
//   - RunPlugin:         node <@pulumi/pulumi/cmd/run-policy-pack> <engine> <dir>  (analyzers)
//     node <@pulumi/pulumi/cmd/run-plugin> <dir> <args...>     (Node.js providers)
//   - GetRequiredPlugins: provider plugins declared by packages in node_modules ("pulumi": {"resource": true})
//   - InstallDependencies: npm install (streams output)
//   - GetPluginInfo, About, GetProgramDependencies.
//
// Everything else answers Unimplemented, which the engine treats as "older language host".
//
// The build tag keeps this file out of any accidental `go build ./...`; toolchain.sh builds it with
// -tags toolchain_nodejs_host.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// version is set with -ldflags "-X main.version=3.x.y".
var version = "0.0.0-dev"

// nodeBail is the exit code @pulumi/pulumi's run scripts use after they already reported the error.
const nodeBail = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	// command-line defaults (older engines pass runtime options as flags)
	typescript bool
	tsconfig   string
	nodeargs   string
	tracing    string
	mu         sync.Mutex
}

func main() {
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	typescript := fs.Bool("typescript", true, "use ts-node for TypeScript programs")
	tsconfig := fs.String("tsconfig", "", "path to tsconfig.json")
	nodeargs := fs.String("nodeargs", "", "extra node arguments")
	tracing := fs.String("tracing", "", "tracing endpoint")
	_ = fs.String("root", "", "project root (ignored)")
	_ = fs.String("packagemanager", "", "package manager (ignored: npm is used)")
	_ = fs.Bool("logtostderr", false, "ignored")
	_ = fs.Int("v", 0, "ignored")
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	h := &host{typescript: *typescript, tsconfig: *tsconfig, nodeargs: *nodeargs, tracing: *tracing}
	if fs.NArg() > 0 {
		h.engineAddress = fs.Arg(fs.NArg() - 1)
	}

	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------------------------------------
// helpers

func optString(opts *structpb.Struct, key string) (string, bool) {
	if opts == nil {
		return "", false
	}
	v, ok := opts.Fields[key]
	if !ok || v == nil {
		return "", false
	}
	switch k := v.Kind.(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, true
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), true
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), true
	}
	return "", false
}

func (h *host) typescriptFor(info *pulumirpc.ProgramInfo) bool {
	if s, ok := optString(info.GetOptions(), "typescript"); ok {
		b, err := strconv.ParseBool(s)
		if err == nil {
			return b
		}
	}
	return h.typescript
}

func (h *host) tsconfigFor(info *pulumirpc.ProgramInfo) string {
	if s, ok := optString(info.GetOptions(), "tsconfig"); ok && s != "" {
		return s
	}
	return h.tsconfig
}

func (h *host) nodeargsFor(info *pulumirpc.ProgramInfo) []string {
	s := h.nodeargs
	if o, ok := optString(info.GetOptions(), "nodeargs"); ok && o != "" {
		s = o
	}
	return strings.Fields(s)
}

func nodeBin() (string, error) {
	if p := os.Getenv("PULUMI_NODEJS_NODE"); p != "" {
		return p, nil
	}
	return exec.LookPath("node")
}

// resolveModule finds a module file the way Node would from dir (e.g. "@pulumi/pulumi/cmd/run").
func resolveModule(node, dir, mod string) (string, error) {
	cmd := exec.Command(node, "-e", "process.stdout.write(require.resolve(process.argv[1], {paths: [process.cwd()]}))", mod)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed (could not resolve %s from %s); "+
			"have you run `npm install`?: %s", mod, dir, strings.TrimSpace(errb.String()))
	}
	return filepath.Dir(out.String()), nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------
// RPCs

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := nodeBin()
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	info := req.GetInfo()
	progDir := firstNonEmpty(info.GetProgramDirectory(), req.GetPwd())
	runDir, err := resolveModule(node, progDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append([]string{}, h.nodeargsFor(info)...)
	args = append(args, runDir, "--monitor="+req.GetMonitorAddress())
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	if engine != "" {
		args = append(args, "--engine="+engine)
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	args = append(args, "--project="+req.GetProject(), "--stack="+req.GetStack())
	if req.GetPwd() != "" {
		args = append(args, "--pwd="+req.GetPwd())
	}
	if info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	if h.tracing != "" {
		args = append(args, "--tracing="+h.tracing)
	}
	program := firstNonEmpty(req.GetProgram(), info.GetEntryPoint(), ".")
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cfg, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	sk, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(cfg),
		"PULUMI_CONFIG_SECRET_KEYS="+string(sk),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(h.typescriptFor(info)),
	)
	if ts := h.tsconfigFor(info); ts != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+ts)
	}
	if req.GetQueryMode() {
		env = append(env, "PULUMI_NODEJS_QUERY_MODE=true")
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = firstNonEmpty(req.GetPwd(), progDir)
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code := exitErr.ExitCode()
			if code == nodeBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter forwards process output to a gRPC stream.
type streamWriter struct {
	mu   *sync.Mutex
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := make([]byte, len(p))
	copy(b, p)
	if err := w.send(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	node, err := nodeBin()
	if err != nil {
		return err
	}
	info := req.GetInfo()
	dir := firstNonEmpty(info.GetProgramDirectory(), req.GetProgram(), req.GetPwd())
	var args []string
	env := append(os.Environ(), req.GetEnv()...)
	if req.GetKind() == "analyzer" {
		// Node.js policy pack: run-policy-pack <engine-address> <program>. It runs TypeScript itself.
		mod, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			return err
		}
		args = append(h.nodeargsFor(info), mod)
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		mod, err := resolveModule(node, dir, "@pulumi/pulumi/cmd/run-plugin")
		if err != nil {
			return err
		}
		args = append(h.nodeargsFor(info), mod, dir)
		args = append(args, req.GetArgs()...)
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(h.typescriptFor(info)))
		if ts := h.tsconfigFor(info); ts != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+ts)
		}
	}
	var mu sync.Mutex
	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	dir := firstNonEmpty(req.GetInfo().GetProgramDirectory(), req.GetDirectory())
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("could not find npm on the $PATH: %w", err)
	}
	var mu sync.Mutex
	cmd := exec.CommandContext(server.Context(), npm, "install")
	cmd.Dir = dir
	cmd.Stdout = streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	cmd.Stderr = streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install failed in %s: %w", dir, err)
	}
	return nil
}

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// findNodeModules walks up from dir to the nearest node_modules directory.
func findNodeModules(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			return nm
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// packageDirs lists node_modules/<pkg> and node_modules/@scope/<pkg>.
func packageDirs(nm string) []string {
	var out []string
	entries, _ := os.ReadDir(nm)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(nm, name)
		if strings.HasPrefix(name, "@") {
			sub, _ := os.ReadDir(p)
			for _, s := range sub {
				out = append(out, filepath.Join(p, s.Name()))
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := firstNonEmpty(req.GetInfo().GetProgramDirectory(), req.GetPwd())
	nm := findNodeModules(dir)
	if nm == "" {
		return nil, fmt.Errorf("no node_modules found for %s: have you run `npm install`?", dir)
	}
	seen := map[string]bool{}
	var plugins []*pulumirpc.PluginDependency
	for _, pd := range packageDirs(nm) {
		p, err := readPackageJSON(filepath.Join(pd, "package.json"))
		if err != nil || p.Pulumi == nil || !p.Pulumi.Resource {
			continue
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(p.Name, "@pulumi/")
		}
		ver := p.Pulumi.Version
		if ver == "" {
			ver = p.Version
		}
		if !strings.HasPrefix(ver, "v") {
			ver = "v" + ver
		}
		key := name + "@" + ver
		if seen[key] {
			continue
		}
		seen[key] = true
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: ver, Server: p.Pulumi.Server})
	}
	sort.Slice(plugins, func(i, j int) bool { return plugins[i].Name < plugins[j].Name })
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodeBin()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := firstNonEmpty(req.GetInfo().GetProgramDirectory(), req.GetPwd())
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "reading package.json: %v", err)
	}
	nm := findNodeModules(dir)
	names := map[string]bool{}
	for n := range p.Dependencies {
		names[n] = true
	}
	for n := range p.DevDependencies {
		names[n] = true
	}
	var deps []*pulumirpc.DependencyInfo
	for n := range names {
		ver := p.Dependencies[n]
		if ver == "" {
			ver = p.DevDependencies[n]
		}
		if nm != "" {
			if ip, err := readPackageJSON(filepath.Join(nm, n, "package.json")); err == nil && ip.Version != "" {
				ver = ip.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

var _ io.Writer = streamWriter{}
