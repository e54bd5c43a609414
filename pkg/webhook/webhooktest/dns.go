// Package webhooktest serves DNS answers a test chooses, so that tests of
// webhook addresses (the checks at registration and at connect time) decide
// what names resolve to, and can change it between lookups as a rebinding
// attacker would, without the machine's resolver. Production code never
// imports it.
package webhooktest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// DNS is a DNS server for a net.Resolver's Dial. It answers A and AAAA
// questions; a name it is not given does not exist.
type DNS struct {
	// zone answers the nth resolution (from 0) of a lower-case name
	// without its final dot; nil means no such name.
	zone func(name string, n int) []netip.Addr

	mu     sync.Mutex
	lookup map[string]int // A questions so far, by name
}

// NewDNS returns a server answering from zone: the nth resolution (from 0)
// of a lower-case name without its final dot; nil means no such name.
func NewDNS(zone func(name string, n int) []netip.Addr) *DNS {
	return &DNS{zone: zone, lookup: map[string]int{}}
}

// StaticDNS serves a fixed table of names and their addresses.
func StaticDNS(table map[string][]string) *DNS {
	return NewDNS(func(name string, _ int) []netip.Addr {
		var out []netip.Addr
		for _, s := range table[name] {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	})
}

// Resolver returns a pure-Go resolver that asks only d. Each of its
// queries gets a connection and a goroutine that ends when the resolver
// closes the connection.
func (d *DNS) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		go d.serve(server)
		return client, nil
	}}
}

// serve answers queries framed as over TCP (RFC 1035 4.2.2): the Go
// resolver frames them so on a connection that is not a net.PacketConn.
func (d *DNS) serve(conn net.Conn) {
	defer conn.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(conn, query); err != nil {
			return
		}
		resp := d.answer(query)
		if resp == nil {
			return
		}
		if _, err := conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...)); err != nil {
			return
		}
	}
}

// answer builds the response to one query, or nil if it cannot be read.
func (d *DNS) answer(q []byte) []byte {
	const headerLen = 12
	if len(q) < headerLen {
		return nil
	}
	var labels []string
	i := headerLen
	for i < len(q) && q[i] != 0 {
		n := int(q[i])
		if n > 63 || i+1+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+n]))
		i += 1 + n
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[headerLen : i+5] // name, its final zero, type and class
	qtype := binary.BigEndian.Uint16(q[i+1:])
	name := strings.ToLower(strings.Join(labels, "."))

	d.mu.Lock()
	n := d.lookup[name]
	if qtype == 1 { // A: count resolutions once, not for A and AAAA both
		d.lookup[name]++
	}
	d.mu.Unlock()
	addrs := d.zone(name, n)

	var answers [][]byte
	for _, a := range addrs {
		if (qtype == 1 && a.Is4()) || (qtype == 28 && a.Is6()) {
			answers = append(answers, a.AsSlice())
		}
	}
	flags := uint16(0x8580) // a response, authoritative, recursion desired and available
	if addrs == nil {
		flags |= 3 // no such name
	}
	resp := append([]byte(nil), q[:2]...) // the query's id
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(answers)))
	resp = append(resp, 0, 0, 0, 0) // no authority or additional records
	resp = append(resp, question...)
	for _, ip := range answers {
		resp = append(resp, 0xc0, headerLen) // the name: a pointer to the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1) // class IN
		resp = binary.BigEndian.AppendUint32(resp, 0) // TTL: do not cache
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(ip)))
		resp = append(resp, ip...)
	}
	return resp
}
