// egress-proxy: the HTTP CONNECT proxy that the local cluster's kube-apiserver dials for its `cluster` egress
// (EgressSelectorConfiguration), so that admission webhooks reach istiods running as local processes.
//
//	egress-proxy DIR
//
// At start it writes a throwaway CA and a client certificate for kube-apiserver (DIR/ca.crt, DIR/client.crt,
// DIR/client.key: kube-apiserver speaks mTLS to an HTTPConnect-over-TCP proxy even for an http:// URL),
// listens on 127.0.0.1 (a free port, written to DIR/port once listening) and serves until SIGTERM.
//
// Each `CONNECT <target>` is looked up in DIR/routes, re-read on every request so that routes can be added
// while it runs: one "<target> <backend>" per line, '#' starts a comment. The connection is spliced to the
// backend only when the target is listed and the backend is a loopback IP address; anything else is answered
// 403, and a backend that refuses the dial 502. Every decision is logged on stdout.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type keyPair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

// sign issues a certificate for tmpl, signed by ca (self-signed when ca is nil).
func sign(tmpl *x509.Certificate, ca *keyPair) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64)); err != nil {
		return nil, err
	}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-5*time.Minute), time.Now().Add(30*24*time.Hour)
	parent, parentKey := tmpl, key
	if ca != nil {
		parent, parentKey = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return &keyPair{cert, der, key}, err
}

func writePEM(path, blockType string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600)
}

// credentials writes the CA and kube-apiserver's client pair into dir and returns the server's TLS config.
func credentials(dir string) (*tls.Config, error) {
	ca, err := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "istio-mesh egress-proxy CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil)
	if err != nil {
		return nil, err
	}
	server, err := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "egress-proxy"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca)
	if err != nil {
		return nil, err
	}
	client, err := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "kube-apiserver"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca)
	if err != nil {
		return nil, err
	}
	clientKey, err := x509.MarshalECPrivateKey(client.key)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name, blockType string
		der             []byte
	}{
		{"ca.crt", "CERTIFICATE", ca.der}, {"client.crt", "CERTIFICATE", client.der}, {"client.key", "EC PRIVATE KEY", clientKey},
	} {
		if err := writePEM(filepath.Join(dir, f.name), f.blockType, f.der); err != nil {
			return nil, err
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{server.der}, PrivateKey: server.key}},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// lookup returns the loopback backend that routesFile maps target to.
func lookup(routesFile, target string) (string, error) {
	data, err := os.ReadFile(routesFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) != 2 || fields[0] != target {
			continue
		}
		backend, err := netip.ParseAddrPort(fields[1])
		if err != nil || !backend.Addr().IsLoopback() {
			return "", fmt.Errorf("its backend %q is not a loopback ip:port", fields[1])
		}
		return backend.String(), nil
	}
	return "", errors.New("no route")
}

func reply(c net.Conn, status int) {
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
}

func serve(c net.Conn, routesFile string) {
	defer c.Close()
	from := c.RemoteAddr()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	req, err := http.ReadRequest(r)
	if err != nil {
		log.Printf("%s: unreadable request: %v", from, err)
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	if req.Method != http.MethodConnect {
		log.Printf("%s: REFUSED %s %s: only CONNECT is served", from, req.Method, req.URL)
		reply(c, http.StatusMethodNotAllowed)
		return
	}
	target := req.Host
	backend, err := lookup(routesFile, target)
	if err != nil {
		log.Printf("%s: REFUSED CONNECT %s: %v", from, target, err)
		reply(c, http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", backend, 5*time.Second)
	if err != nil {
		log.Printf("%s: CONNECT %s -> %s failed: %v", from, target, backend, err)
		reply(c, http.StatusBadGateway)
		return
	}
	defer upstream.Close()
	log.Printf("%s: CONNECT %s -> %s", from, target, backend)
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, r); _ = upstream.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, upstream); done <- struct{}{} }()
	<-done // one direction ended: the deferred Closes end the other
}

func run(dir string) error {
	config, err := credentials(dir)
	if err != nil {
		return fmt.Errorf("writing credentials into %s: %w", dir, err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		return err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	// Written atomically, after listening: whoever reads DIR/port can connect.
	if err := os.WriteFile(filepath.Join(dir, "port.new"), []byte(port+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "port.new"), filepath.Join(dir, "port")); err != nil {
		return err
	}
	routesFile := filepath.Join(dir, "routes")
	log.Printf("listening on %s (mTLS); routes: %s", ln.Addr(), routesFile)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() { s := <-stop; log.Printf("%v: stopping", s); _ = ln.Close() }()
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		go serve(c, routesFile)
	}
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.LUTC)
	log.SetOutput(os.Stdout)
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: egress-proxy DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		log.Fatalf("egress-proxy: %v", err)
	}
}
