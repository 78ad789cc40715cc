//go:build toolchain_kubernetes_provider

// pulumi-resource-kubernetes: a small stand-in for the Pulumi Kubernetes provider, for offline tests.
//
// Why this file exists: the Go module proxy reachable from our machines refuses every version of
// github.com/pulumi/pulumi-kubernetes/provider/v4 (403), so the real provider cannot be built here.
// scripts/toolchain.sh builds this file (unless KUBERNETES_PROVIDER_STANDIN=0 or KUBERNETES_PROVIDER_BINARY is
// given) and installs it into PULUMI_HOME as plugin "kubernetes" at KUBERNETES_PROVIDER_VERSION, so the
// @pulumi/kubernetes SDK finds it. It is NOT the real provider; it implements what istio-mesh uses:
//
//   - provider config: kubeconfig (contents or path), context, namespace, renderYamlToDirectory,
//     enableServerSideApply (always on: every write is a server-side apply, field manager "pulumi-kubernetes").
//   - every resource type kubernetes:<group>/<version>:<Kind> (built-in kinds and custom resources): Check (auto
//     names when metadata.name is absent), Diff (replace on name/namespace change), Create/Update (server-side
//     apply, force), Delete (waits until gone), Read. Deployments and DaemonSets are awaited until rolled
//     out (annotation pulumi.com/skipAwait: "true" skips). Custom resources wait for their CRD.
//   - <Kind>Patch types (e.g. kubernetes:core/v1:NamespacePatch): server-side apply with a field manager of their
//     own; delete gives the fields back.
//   - components kubernetes:helm.sh/v4:Chart (local chart directory or an already-downloaded chart; values,
//     namespace, name, skipCrds, resourcePrefix) rendered with the Helm library, and kubernetes:yaml/v2:ConfigGroup
//     (yaml, objs, files). Children are named "<prefix>:<namespace>/<name>" like the real provider; output
//     "resources".
//   - renderYamlToDirectory: writes manifests under <dir>/0-crd and <dir>/1-manifest instead of applying.
//
// Not implemented: Helm repositories/OCI pulls, helm.v3.Release, invoke functions, import, previews that diff
// against the live cluster.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var version = "0.0.0-dev" // -ldflags "-X main.version=4.34.2"

const (
	fieldManager = "pulumi-kubernetes"
	chartType    = "kubernetes:helm.sh/v4:Chart"
	configGroup  = "kubernetes:yaml/v2:ConfigGroup"
	skipAwait    = "pulumi.com/skipAwait"
)

var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true, "MutatingAdmissionPolicy": true,
	"MutatingAdmissionPolicyBinding": true, "StorageClass": true, "PriorityClass": true, "APIService": true,
	"CSIDriver": true, "CSINode": true, "IngressClass": true, "RuntimeClass": true, "VolumeAttachment": true,
	"FlowSchema": true, "PriorityLevelConfiguration": true, "ClusterTrustBundle": true, "GatewayClass": true,
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	engineAddr string

	mu        sync.Mutex
	cfg       *rest.Config
	dyn       dynamic.Interface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	disco     discovery.DiscoveryInterface
	namespace string
	renderDir string
	cfgErr    error
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(version)
		return
	}
	p := &provider{}
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			p.engineAddr = a
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, p)
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

// ------------------------------------------------------------------------------------------------
// property helpers

var mopts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true, KeepResources: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, mopts)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, mopts)
}

// plainObject turns properties into a plain JSON-like object, dropping secret wrappers (and unknowns).
func plainObject(m resource.PropertyMap) map[string]any {
	return m.MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsComputed() || v.IsOutput() && !v.OutputValue().Known {
			return nil, true
		}
		if v.IsOutput() {
			return plainValue(v.OutputValue().Element), true
		}
		if v.IsResourceReference() {
			return string(v.ResourceReferenceValue().URN), true
		}
		return nil, false
	})
}

func plainValue(v resource.PropertyValue) any {
	return plainObject(resource.PropertyMap{"v": v})["v"]
}

// secretKeys lists top-level keys whose input value was secret: their outputs stay secret.
func secretKeys(m resource.PropertyMap) map[resource.PropertyKey]bool {
	out := map[resource.PropertyKey]bool{}
	for k, v := range m {
		if v.ContainsSecrets() {
			out[k] = true
		}
	}
	return out
}

func toProps(obj map[string]any, secrets map[resource.PropertyKey]bool, kind string) resource.PropertyMap {
	m := resource.NewPropertyMapFromMap(obj)
	if kind == "Secret" {
		secrets = map[resource.PropertyKey]bool{"data": true, "stringData": true}
	}
	for k := range secrets {
		if v, ok := m[k]; ok && !v.IsSecret() {
			m[k] = resource.MakeSecret(v)
		}
	}
	return m
}

// ------------------------------------------------------------------------------------------------
// types

type kind struct {
	gvk   schema.GroupVersionKind
	patch bool
}

// parseType: "kubernetes:apps/v1:Deployment" -> apps/v1 Deployment; "core" is the empty group.
func parseType(t string) (kind, error) {
	parts := strings.Split(t, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" {
		return kind{}, fmt.Errorf("unsupported type %q", t)
	}
	gv := strings.SplitN(parts[1], "/", 2)
	if len(gv) != 2 {
		return kind{}, fmt.Errorf("unsupported type %q", t)
	}
	group := gv[0]
	if group == "core" {
		group = ""
	}
	k := kind{gvk: schema.GroupVersionKind{Group: group, Version: gv[1], Kind: parts[2]}}
	if strings.HasSuffix(k.gvk.Kind, "Patch") && k.gvk.Kind != "Patch" {
		k.patch = true
		k.gvk.Kind = strings.TrimSuffix(k.gvk.Kind, "Patch")
	}
	return k, nil
}

func typeToken(apiVersion, kindName string) string {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	group := gv.Group
	if group == "" {
		group = "core"
	}
	return fmt.Sprintf("kubernetes:%s/%s:%s", group, gv.Version, kindName)
}

func urnParts(urn string) (typ, name string) {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn, urn
	}
	typ = parts[2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ, parts[3]
}

// ------------------------------------------------------------------------------------------------
// configuration

func (p *provider) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) Handshake(_ context.Context, req *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		p.engineAddr = req.GetEngineAddress()
	}
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: false}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, k := range []resource.PropertyKey{"kubeconfig", "context", "namespace", "renderYamlToDirectory", "cluster"} {
		if fmt.Sprint(plainValue(olds[k])) != fmt.Sprint(plainValue(news[k])) {
			changed = append(changed, string(k))
		}
	}
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

func (p *provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	get := func(k string) string {
		if v, ok := args[resource.PropertyKey(k)]; ok {
			if s, ok := plainValue(v).(string); ok {
				return s
			}
		}
		if s, ok := req.GetVariables()["kubernetes:config:"+k]; ok {
			return s
		}
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.namespace = get("namespace")
	if p.namespace == "" {
		p.namespace = "default"
	}
	p.renderDir = get("renderYamlToDirectory")
	if p.renderDir != "" {
		return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
	}
	kubeconfig, kctx := get("kubeconfig"), get("context")
	var loader clientcmd.ClientConfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kctx}
	switch {
	case kubeconfig == "":
		loader = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), overrides)
	case strings.Contains(kubeconfig, "apiVersion") || strings.Contains(kubeconfig, "clusters"):
		raw, err := clientcmd.Load([]byte(kubeconfig))
		if err != nil {
			return nil, fmt.Errorf("parsing kubeconfig: %w", err)
		}
		loader = clientcmd.NewDefaultClientConfig(*raw, overrides)
	default:
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
		loader = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	}
	cfg, err := loader.ClientConfig()
	if err != nil {
		// Like the real provider: a provider without a cluster only fails when it is used.
		p.cfgErr = fmt.Errorf("no usable kubeconfig: %w", err)
		return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
	}
	if ns, _, err := loader.Namespace(); err == nil && ns != "" && get("namespace") == "" {
		p.namespace = ns
	}
	cfg.QPS, cfg.Burst = 100, 200
	p.cfg = cfg
	if p.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	p.disco = dc
	p.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *provider) client() (dynamic.Interface, *restmapper.DeferredDiscoveryRESTMapper, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfgErr != nil {
		return nil, nil, p.cfgErr
	}
	if p.dyn == nil {
		return nil, nil, errors.New("the kubernetes provider is not configured")
	}
	return p.dyn, p.mapper, nil
}

// resourceFor maps a kind to its API resource, waiting (up to 2 minutes) for CRDs to be established.
func (p *provider) resourceFor(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, dynamic.Interface, error) {
	dyn, mapper, err := p.client()
	if err != nil {
		return nil, nil, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			return m, dyn, nil
		}
		if !meta.IsNoMatchError(err) || time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("no API for %s: %w", gvk, err)
		}
		mapper.Reset()
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func (p *provider) iface(ctx context.Context, obj *unstructured.Unstructured) (dynamic.ResourceInterface, bool, error) {
	m, dyn, err := p.resourceFor(ctx, obj.GroupVersionKind())
	if err != nil {
		return nil, false, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(p.namespace)
		}
		return dyn.Resource(m.Resource).Namespace(obj.GetNamespace()), true, nil
	}
	return dyn.Resource(m.Resource), false, nil
}

// ------------------------------------------------------------------------------------------------
// CRUD

func objectFrom(k kind, props resource.PropertyMap) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: plainObject(props)}
	obj.SetAPIVersion(k.gvk.GroupVersion().String())
	obj.SetKind(k.gvk.Kind)
	delete(obj.Object, "status")
	return obj
}

// randomSuffix is derived from the engine's random seed when given, so preview and update agree.
func randomSuffix(seed []byte) string {
	if len(seed) > 0 {
		sum := sha256.Sum256(seed)
		return hex.EncodeToString(sum[:4])
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ, name := urnParts(req.GetUrn())
	k, err := parseType(typ)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news["apiVersion"] = resource.NewStringProperty(k.gvk.GroupVersion().String())
	news["kind"] = resource.NewStringProperty(k.gvk.Kind)
	md := resource.PropertyMap{}
	if v, ok := news["metadata"]; ok && v.IsObject() {
		md = v.ObjectValue()
	}
	if _, has := md["name"]; !has && !k.patch {
		autoname := ""
		if ov, ok := olds["metadata"]; ok && ov.IsObject() {
			if n, ok := ov.ObjectValue()["name"]; ok && n.IsString() {
				autoname = n.StringValue()
			}
		}
		if autoname == "" {
			autoname = name + "-" + randomSuffix(req.GetRandomSeed())
		}
		md["name"] = resource.NewStringProperty(autoname)
		news["metadata"] = resource.NewObjectProperty(md)
	}
	if _, has := md["name"]; !has && k.patch {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: "metadata.name", Reason: "required for patches"}}}, nil
	}
	inputs, err := marshal(news)
	return &pulumirpc.CheckResponse{Inputs: inputs}, err
}

func metaField(m resource.PropertyMap, f string) string {
	if v, ok := m["metadata"]; ok && v.IsObject() {
		if s, ok := plainValue(v.ObjectValue()[resource.PropertyKey(f)]).(string); ok {
			return s
		}
	}
	return ""
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if k == "status" {
			continue
		}
		if news[k].ContainsUnknowns() {
			changed = append(changed, string(k))
			continue
		}
		a, _ := json.Marshal(plainValue(olds[k]))
		b, _ := json.Marshal(plainValue(news[k]))
		if string(a) != string(b) {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}
	if metaField(olds, "name") != metaField(news, "name") || metaField(olds, "namespace") != metaField(news, "namespace") {
		resp.Replaces = []string{"metadata"}
	}
	return resp, nil
}

func patchManager(urn string) string {
	_, name := urnParts(urn)
	h := 0
	for _, c := range urn {
		h = h*31 + int(c)
	}
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("pulumi-patcher-%x", uint32(h))
}

func (p *provider) apply(ctx context.Context, urn string, k kind, props resource.PropertyMap, preview bool) (string, *structpb.Struct, error) {
	obj := objectFrom(k, props)
	secrets := secretKeys(props)
	if preview || props.ContainsUnknowns() {
		out, err := marshal(props)
		return "", out, err
	}
	if p.renderDir != "" {
		id, err := p.render(obj)
		if err != nil {
			return "", nil, err
		}
		out, err := marshal(props)
		return id, out, err
	}
	ri, namespaced, err := p.iface(ctx, obj)
	if err != nil {
		return "", nil, err
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return "", nil, err
	}
	manager, force := fieldManager, true
	if k.patch {
		manager = patchManager(urn)
	}
	live, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		return "", nil, fmt.Errorf("server-side apply of %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	if !k.patch && obj.GetAnnotations()[skipAwait] != "true" {
		if live, err = awaitReady(ctx, ri, live); err != nil {
			return "", nil, err
		}
	}
	id := live.GetName()
	if namespaced {
		id = live.GetNamespace() + "/" + live.GetName()
	}
	if k.patch {
		// A patch's state is what it asked for, plus the live object's identity.
		out, err := marshal(props)
		return id, out, err
	}
	out, err := marshal(toProps(live.Object, secrets, k.gvk.Kind))
	return id, out, err
}

func awaitReady(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	kindName := obj.GetKind()
	if kindName != "Deployment" && kindName != "DaemonSet" && kindName != "StatefulSet" {
		return obj, nil
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if ready(live) {
			return live, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s %s/%s did not become ready in 10 minutes", kindName, live.GetNamespace(), live.GetName())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func ready(o *unstructured.Unstructured) bool {
	gen := o.GetGeneration()
	observed, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
	if observed < gen {
		return false
	}
	i := func(path ...string) int64 { v, _, _ := unstructured.NestedInt64(o.Object, path...); return v }
	switch o.GetKind() {
	case "Deployment", "StatefulSet":
		want, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if !found {
			want = 1
		}
		if o.GetKind() == "StatefulSet" {
			return i("status", "readyReplicas") >= want && i("status", "updatedReplicas") >= want
		}
		return i("status", "updatedReplicas") >= want && i("status", "availableReplicas") >= want && i("status", "replicas") == want
	case "DaemonSet":
		want := i("status", "desiredNumberScheduled")
		return i("status", "updatedNumberScheduled") >= want && i("status", "numberAvailable") >= want
	}
	return true
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ, _ := urnParts(req.GetUrn())
	k, err := parseType(typ)
	if err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, out, err := p.apply(ctx, req.GetUrn(), k, props, req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ, _ := urnParts(req.GetUrn())
	k, err := parseType(typ)
	if err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	_, out, err := p.apply(ctx, req.GetUrn(), k, props, req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*pbempty.Empty, error) {
	typ, _ := urnParts(req.GetUrn())
	k, err := parseType(typ)
	if err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(props) == 0 {
		if props, err = unmarshal(req.GetProperties()); err != nil {
			return nil, err
		}
	}
	obj := objectFrom(k, props)
	if p.renderDir != "" {
		_ = os.Remove(p.renderPath(obj))
		return &pbempty.Empty{}, nil
	}
	ri, _, err := p.iface(ctx, obj)
	if err != nil {
		var nm *meta.NoKindMatchError
		if errors.As(err, &nm) {
			return &pbempty.Empty{}, nil // the API (e.g. a removed CRD) is gone, and the object with it
		}
		return nil, err
	}
	if k.patch {
		// Give the fields back: apply an object with nothing but its identity under the same manager.
		empty := &unstructured.Unstructured{}
		empty.SetAPIVersion(obj.GetAPIVersion())
		empty.SetKind(obj.GetKind())
		empty.SetName(obj.GetName())
		empty.SetNamespace(obj.GetNamespace())
		data, _ := json.Marshal(empty.Object)
		force := true
		_, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: patchManager(req.GetUrn()), Force: &force})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		return &pbempty.Empty{}, nil
	}
	bg := metav1.DeletePropagationBackground
	if err := ri.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		if apierrors.IsNotFound(err) {
			return &pbempty.Empty{}, nil
		}
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return &pbempty.Empty{}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return nil, fmt.Errorf("%s %s was not deleted within 5 minutes", obj.GetKind(), obj.GetName())
}

func (p *provider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	typ, _ := urnParts(req.GetUrn())
	k, err := parseType(typ)
	if err != nil {
		return nil, err
	}
	props, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	if len(props) == 0 {
		if props, err = unmarshal(req.GetProperties()); err != nil {
			return nil, err
		}
	}
	obj := objectFrom(k, props)
	if obj.GetName() == "" {
		id := req.GetId()
		if i := strings.LastIndex(id, "/"); i >= 0 {
			obj.SetNamespace(id[:i])
			id = id[i+1:]
		}
		obj.SetName(id)
	}
	if p.renderDir != "" || k.patch {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	ri, _, err := p.iface(ctx, obj)
	if err != nil {
		return nil, err
	}
	live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &pulumirpc.ReadResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	out, err := marshal(toProps(live.Object, secretKeys(props), k.gvk.Kind))
	if err != nil {
		return nil, err
	}
	inputs := req.GetInputs()
	if inputs == nil {
		inputs = out
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: out, Inputs: inputs}, nil
}

// ------------------------------------------------------------------------------------------------
// renderYamlToDirectory

func (p *provider) renderPath(obj *unstructured.Unstructured) string {
	sub := "1-manifest"
	if obj.GetKind() == "CustomResourceDefinition" {
		sub = "0-crd"
	}
	gv := strings.ReplaceAll(obj.GetAPIVersion(), "/", "_")
	name := fmt.Sprintf("%s-%s-%s-%s.yaml", gv, strings.ToLower(obj.GetKind()), obj.GetNamespace(), obj.GetName())
	name = strings.ReplaceAll(name, "--", "-")
	return filepath.Join(p.renderDir, sub, name)
}

func (p *provider) render(obj *unstructured.Unstructured) (string, error) {
	if obj.GetNamespace() == "" && !clusterScoped[obj.GetKind()] {
		obj.SetNamespace(p.namespace)
	}
	path := p.renderPath(obj)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	data, err := yaml.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	id := obj.GetName()
	if obj.GetNamespace() != "" {
		id = obj.GetNamespace() + "/" + id
	}
	return id, nil
}

// ------------------------------------------------------------------------------------------------
// components: helm.sh/v4:Chart and yaml/v2:ConfigGroup

type component struct {
	pulumi.ResourceState
	Resources pulumi.ArrayOutput `pulumi:"resources"`
}

type child struct {
	pulumi.CustomResourceState
}

func (p *provider) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	if req.GetType() != chartType && req.GetType() != configGroup {
		return nil, status.Errorf(codes.Unimplemented, "this stand-in kubernetes provider cannot construct %s", req.GetType())
	}
	inputs, err := unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	known := !inputs.ContainsUnknowns()
	plain := plainObject(inputs)
	var objs []map[string]any
	var defaultNS string
	if known {
		if req.GetType() == chartType {
			objs, defaultNS, err = p.renderChart(req.GetName(), plain)
		} else {
			objs, err = configGroupObjects(plain)
		}
		if err != nil {
			return nil, err
		}
	}
	prefix := req.GetName()
	if s, ok := plain["resourcePrefix"].(string); ok {
		prefix = s
	}
	addr := p.engineAddr
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, fmt.Errorf("connecting to the engine at %q: %w", addr, err)
	}
	defer conn.Close()
	return pprovider.Construct(ctx, req, conn, func(pctx *pulumi.Context, typ, name string, _ pprovider.ConstructInputs,
		options pulumi.ResourceOption,
	) (*pprovider.ConstructResult, error) {
		comp := &component{}
		if err := pctx.RegisterComponentResource(typ, name, comp, options); err != nil {
			return nil, err
		}
		var children pulumi.Array
		for _, o := range objs {
			u := &unstructured.Unstructured{Object: o}
			if u.GetKind() == "" || u.GetAPIVersion() == "" {
				continue
			}
			if u.GetNamespace() == "" && !clusterScoped[u.GetKind()] && defaultNS != "" {
				u.SetNamespace(defaultNS)
			}
			id := u.GetName()
			if u.GetNamespace() != "" {
				id = u.GetNamespace() + "/" + id
			}
			var c child
			cname := id
			if prefix != "" {
				cname = prefix + ":" + id
			}
			if err := pctx.RegisterResource(typeToken(u.GetAPIVersion(), u.GetKind()), cname, pulumi.ToMap(u.Object), &c,
				pulumi.Parent(comp)); err != nil {
				return nil, err
			}
			children = append(children, pulumi.NewResourceInput(&c))
		}
		comp.Resources = children.ToArrayOutput()
		if err := pctx.RegisterResourceOutputs(comp, pulumi.Map{"resources": comp.Resources}); err != nil {
			return nil, err
		}
		return pprovider.NewConstructResult(comp)
	})
}

func configGroupObjects(in map[string]any) ([]map[string]any, error) {
	var docs []string
	switch y := in["yaml"].(type) {
	case string:
		docs = append(docs, y)
	case []any:
		for _, d := range y {
			if s, ok := d.(string); ok {
				docs = append(docs, s)
			}
		}
	}
	if files, ok := in["files"].([]any); ok {
		for _, f := range files {
			s, _ := f.(string)
			data, err := os.ReadFile(s)
			if err != nil {
				return nil, err
			}
			docs = append(docs, string(data))
		}
	}
	var objs []map[string]any
	for _, d := range docs {
		o, err := splitYAML(d)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	if arr, ok := in["objs"].([]any); ok {
		for _, o := range arr {
			if m, ok := o.(map[string]any); ok {
				objs = append(objs, m)
			}
		}
	}
	return objs, nil
}

func splitYAML(s string) ([]map[string]any, error) {
	var out []map[string]any
	for _, doc := range releaseutil.SplitManifests(s) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("parsing YAML: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		if k, _ := m["kind"].(string); strings.HasSuffix(k, "List") {
			if items, ok := m["items"].([]any); ok {
				for _, it := range items {
					if im, ok := it.(map[string]any); ok {
						out = append(out, im)
					}
				}
			}
			continue
		}
		out = append(out, m)
	}
	// Stable order: CRDs and namespaces first, then by kind/namespace/name.
	rank := func(m map[string]any) int {
		switch m["kind"] {
		case "CustomResourceDefinition":
			return 0
		case "Namespace":
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

func (p *provider) renderChart(name string, in map[string]any) ([]map[string]any, string, error) {
	chartPath, _ := in["chart"].(string)
	if chartPath == "" {
		return nil, "", errors.New("chart is required")
	}
	if st, err := os.Stat(chartPath); err != nil || !st.IsDir() && !strings.HasSuffix(chartPath, ".tgz") {
		return nil, "", fmt.Errorf("this stand-in provider renders local charts only; %q is not a chart directory or .tgz", chartPath)
	}
	chrt, err := loader.Load(chartPath)
	if err != nil {
		return nil, "", fmt.Errorf("loading chart %s: %w", chartPath, err)
	}
	values, _ := in["values"].(map[string]any)
	if values == nil {
		values = map[string]any{}
	}
	ns, _ := in["namespace"].(string)
	if ns == "" {
		ns = p.namespace
	}
	release, _ := in["name"].(string)
	if release == "" {
		release = name
	}
	skipCrds, _ := in["skipCrds"].(bool)

	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.IncludeCRDs = !skipCrds
	install.ReleaseName = release
	install.Namespace = ns
	install.DisableHooks = false
	if p.disco != nil {
		if v, err := p.disco.ServerVersion(); err == nil {
			if kv, err := chartutil.ParseKubeVersion(v.GitVersion); err == nil {
				install.KubeVersion = kv
			}
		}
		if groups, err := p.disco.ServerGroups(); err == nil {
			var versions []string
			for _, g := range groups.Groups {
				for _, v := range g.Versions {
					versions = append(versions, v.GroupVersion)
				}
			}
			install.APIVersions = chartutil.VersionSet(versions)
		}
	}
	rel, err := install.Run(chrt, values)
	if err != nil {
		return nil, "", fmt.Errorf("rendering chart %s: %w", chartPath, err)
	}
	manifest := rel.Manifest
	objs, err := splitYAML(manifest)
	if err != nil {
		return nil, "", err
	}
	return objs, ns, nil
}
