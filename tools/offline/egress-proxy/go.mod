module istio-mesh/tools/offline/egress-proxy

go 1.24
