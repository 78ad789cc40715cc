//go:build toolchain_command_provider

// pulumi-resource-command: a small stand-in for the Pulumi "command" provider, for offline tests.
//
// Why this file exists: the Go module proxy reachable from our machines refuses every version of
// github.com/pulumi/pulumi-command/provider (403/404), so the real provider cannot be built here.
// scripts/toolchain.sh builds this file only when COMMAND_PROVIDER_STANDIN=1, and installs it into
// PULUMI_HOME as plugin "command" at COMMAND_PROVIDER_VERSION, so @pulumi/command finds it.
//
// Implemented (Linux/macOS semantics of @pulumi/command 1.x):
//   - resource command:local:Command: create / update / delete commands, dir, environment, interpreter
//     (default /bin/sh -c), stdin, triggers, addPreviousOutputInEnv; outputs stdout and stderr (trailing
//     newline trimmed); PULUMI_COMMAND_STDOUT/STDERR for update and delete. Any input change runs `update`
//     when given, else replaces the resource (runs `create` again). Nothing runs during preview.
//   - function command:local:run: runs the command (also during preview, like the real provider).
//
// Not implemented: command:remote:* (SSH), assets/archives collection (assetPaths/archivePaths return
// nothing), logging control (output is captured, never streamed).
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var version = "0.0.0-dev" // -ldflags "-X main.version=1.2.1"

const (
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

// inputs that, when changed, cause an update (or replace).
var inputKeys = []resource.PropertyKey{
	"create", "update", "delete", "dir", "environment", "interpreter", "stdin", "triggers",
	"addPreviousOutputInEnv", "logging", "assetPaths", "archivePaths",
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &provider{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, opts)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

// plain strips secrets so values can be used to run commands.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func str(m resource.PropertyMap, k resource.PropertyKey) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	v = plain(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func hasUnknowns(m resource.PropertyMap) bool { return m.ContainsUnknowns() }

func (p *provider) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Attach(context.Context, *pulumirpc.PluginAttach) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func (p *provider) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	return &pbempty.Empty{}, nil
}

func checkType(t string) error {
	if !strings.HasSuffix(t, "::"+commandType) && t != commandType {
		return status.Errorf(codes.Unimplemented, "this stand-in command provider only implements %s (got %s)", commandType, t)
	}
	return nil
}

func urnType(urn string) string {
	// urn:pulumi:stack::project::parent$type::name
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	t := parts[2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:]
	}
	return t
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(urnType(req.GetUrn())); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, k := range inputKeys {
		o, ho := olds[k]
		n, hn := news[k]
		if !ho && !hn {
			continue
		}
		if ho != hn || !plain(o).DeepEquals(plain(n)) {
			changed = append(changed, string(k))
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}
	if str(news, "update") == "" {
		resp.Replaces = changed
	}
	return resp, nil
}

type result struct{ stdout, stderr string }

func run(ctx context.Context, command string, props resource.PropertyMap, extraEnv []string) (result, error) {
	interp := []string{"/bin/sh", "-c"}
	if v, ok := props["interpreter"]; ok {
		v = plain(v)
		if v.IsArray() && len(v.ArrayValue()) > 0 {
			interp = nil
			for _, e := range v.ArrayValue() {
				interp = append(interp, plain(e).StringValue())
			}
		}
	}
	args := append(append([]string{}, interp[1:]...), command)
	cmd := exec.CommandContext(ctx, interp[0], args...)
	cmd.Dir = str(props, "dir")
	env := os.Environ()
	if v, ok := props["environment"]; ok {
		v = plain(v)
		if v.IsObject() {
			for k, e := range v.ObjectValue() {
				env = append(env, string(k)+"="+plain(e).StringValue())
			}
		}
	}
	cmd.Env = append(env, extraEnv...)
	if s := str(props, "stdin"); s != "" {
		cmd.Stdin = strings.NewReader(s)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{strings.TrimSuffix(out.String(), "\n"), strings.TrimSuffix(errb.String(), "\n")}
	if err != nil {
		return r, fmt.Errorf("%w: running %q:\nStdout:\n%s\nStderr:\n%s", err, command, r.stdout, r.stderr)
	}
	return r, nil
}

func outputs(inputs resource.PropertyMap, r *result) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, k := range inputKeys {
		if v, ok := inputs[k]; ok {
			out[k] = v
		}
	}
	if r == nil {
		out["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
		out["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
	} else {
		out["stdout"] = resource.NewStringProperty(r.stdout)
		out["stderr"] = resource.NewStringProperty(r.stderr)
	}
	return out
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("%s-%d", req.GetName(), os.Getpid())
	if req.GetPreview() || hasUnknowns(inputs) {
		props, err := marshal(outputs(inputs, nil))
		return &pulumirpc.CreateResponse{Id: "", Properties: props}, err
	}
	var r result
	if c := str(inputs, "create"); c != "" {
		if r, err = run(ctx, c, inputs, nil); err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs(inputs, &r))
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() || hasUnknowns(news) {
		props, err := marshal(outputs(news, nil))
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	c := str(news, "update")
	if c == "" {
		c = str(news, "create")
	}
	var env []string
	if v, ok := news["addPreviousOutputInEnv"]; !ok || !plain(v).IsBool() || plain(v).BoolValue() {
		env = []string{"PULUMI_COMMAND_STDOUT=" + str(olds, "stdout"), "PULUMI_COMMAND_STDERR=" + str(olds, "stderr")}
	}
	var r result
	if c != "" {
		if r, err = run(ctx, c, news, env); err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs(news, &r))
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*pbempty.Empty, error) {
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if c := str(state, "delete"); c != "" {
		env := []string{"PULUMI_COMMAND_STDOUT=" + str(state, "stdout"), "PULUMI_COMMAND_STDERR=" + str(state, "stderr")}
		if _, err := run(ctx, c, state, env); err != nil {
			return nil, err
		}
	}
	return &pbempty.Empty{}, nil
}

func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, status.Errorf(codes.Unimplemented, "this stand-in command provider only implements %s (got %s)", runToken, req.GetTok())
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	r, err := run(ctx, str(args, "command"), args, nil)
	if err != nil {
		return nil, err
	}
	out := resource.PropertyMap{}
	for k, v := range args {
		out[k] = v
	}
	out["stdout"] = resource.NewStringProperty(r.stdout)
	out["stderr"] = resource.NewStringProperty(r.stderr)
	ret, err := marshal(out)
	return &pulumirpc.InvokeResponse{Return: ret}, err
}
