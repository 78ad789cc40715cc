/**
 * The Istio metrics the health gate reads (plain data): their names as Istio's sources define them, and the label
 * matchers that scope them. Checked against istio.io/istio of the offline toolchain's two minors (1.30 at 9739e10e,
 * 1.31 at eed52ebb): pkg/xds/monitoring.go (pilot_total_xds_rejects, pilot_total_xds_internal_errors,
 * pilot_xds_write_timeout), pilot/pkg/xds/monitoring.go (pilot_xds_pushes and its *_senderr types,
 * pilot_proxy_convergence_time), pkg/kube/inject/monitoring.go (sidecar_injection_failure_total); the proxies'
 * istio_requests_total and istio_request_duration_milliseconds as Istio's own dashboards read them
 * (manifests/addons/dashboards). pilot_xds_push_errors is named only by an integration test there.
 */

/** istiod's metrics (served on its monitoring port, 15014, at /metrics). */
export const ISTIOD_METRICS = {
    /** Counter, label `type`: proxies that refused (NACKed) the config istiod sent. */
    xdsRejects: "pilot_total_xds_rejects",
    /** Counter, label `type`: istiod's own errors while building config. */
    xdsInternalErrors: "pilot_total_xds_internal_errors",
    /** Counter: pushes that timed out writing to a proxy. */
    xdsWriteTimeouts: "pilot_xds_write_timeout",
    /** Counter, label `type`: pushes per type; send failures are the types ending in `_senderr` (cds_senderr, ...). */
    xdsPushes: "pilot_xds_pushes",
    /** Counter: sidecar injection requests the webhook failed. */
    injectionFailures: "sidecar_injection_failure_total",
    /** Histogram (seconds): from a config change to every proxy having it. */
    convergence: "pilot_proxy_convergence_time",
} as const;

/** The standard data-plane metrics, as every sidecar and gateway reports them. */
export const PROXY_METRICS = {
    /** Counter, labels `reporter`, `destination_workload_namespace`, `source_workload`, `response_code`, ... */
    requests: "istio_requests_total",
    /** Histogram (milliseconds), same labels. */
    duration: "istio_request_duration_milliseconds",
} as const;

/** The push types of pilot_xds_pushes that count send failures. */
export const XDS_SEND_ERROR_TYPES = ".*_senderr";

/** Metric names in old Istio code only: a check naming one would never see data. */
export const RETIRED_METRICS: Readonly<Record<string, string>> = {
    pilot_xds_push_errors: `${ISTIOD_METRICS.xdsPushes}{type=~"${XDS_SEND_ERROR_TYPES}"}`,
};

/**
 * The default PromQL label matchers of one revision's istiods: the labels a Kubernetes pod scrape gives istiod's
 * pods (`app: istiod` and `istio.io/rev`, which Prometheus' labelmap spells istio_io_rev); `{revision}` is replaced.
 */
export const DEFAULT_ISTIOD_SELECTOR = `app="istiod",istio_io_rev="{revision}"`;

/**
 * The requests a namespace's workloads received, as their own sidecars report them (reporter destination), and the
 * requests a gateway sent on (a gateway reports as the source of what it proxies).
 */
export const REQUEST_SELECTORS = {
    namespace: `reporter="destination",destination_workload_namespace="{namespace}"`,
    gateway: `reporter="source",source_workload="{gateway}",source_workload_namespace="{namespace}"`,
} as const;
