package webchat

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// maskedFrame is a client's text frame, masked as RFC 6455 requires.
func maskedFrame(payload []byte) []byte {
	var b bytes.Buffer
	b.WriteByte(0x81) // fin, text
	switch n := len(payload); {
	case n < 126:
		b.WriteByte(0x80 | byte(n))
	default:
		b.WriteByte(0x80 | 126)
		binary.Write(&b, binary.BigEndian, uint16(n))
	}
	key := []byte{1, 2, 3, 4}
	b.Write(key)
	for i, c := range payload {
		b.WriteByte(c ^ key[i%4])
	}
	return b.Bytes()
}

func TestSmallBuffers_KeepFramesSentWithTheHandshake(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"smaller than the buffer", 40},
		{"larger than the buffer", 3 * socketBuffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := strings.Repeat("x", tt.size)
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(smallBuffers{w}, r, nil)
				if err != nil {
					got <- "accept: " + err.Error()
					return
				}
				defer ws.CloseNow()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_, data, err := ws.Read(ctx)
				if err != nil {
					got <- "read: " + err.Error()
					return
				}
				got <- string(data)
			}))
			defer srv.Close()

			nc, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			key := make([]byte, 16)
			rand.Read(key)
			// The request and the first frame in one write: the frame
			// reaches net/http's buffer before the upgrade.
			req := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
				"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n", srv.Listener.Addr(), base64.StdEncoding.EncodeToString(key))
			if _, err := nc.Write(append([]byte(req), maskedFrame([]byte(want))...)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: %v %v", resp, err)
			}
			select {
			case s := <-got:
				if s != want {
					t.Fatalf("server read %.60q, want %d bytes of x", s, len(want))
				}
			case <-time.After(time.Minute):
				t.Fatal("the server read nothing")
			}
		})
	}
}

func TestRelayAdmit_LimitsSocketsPerAddressAndForgetsIdleAddresses(t *testing.T) {
	r := NewRelay(nil, nil)
	for i := range MaxSocketsPerAddress {
		if !r.admit("192.0.2.1") {
			t.Fatalf("socket %d refused", i+1)
		}
	}
	if r.admit("192.0.2.1") {
		t.Fatal("socket over the limit admitted")
	}
	if !r.admit("192.0.2.2") {
		t.Fatal("another address refused")
	}
	r.release("192.0.2.1")
	if !r.admit("192.0.2.1") {
		t.Fatal("a released place was not reused")
	}
	for range MaxSocketsPerAddress {
		r.release("192.0.2.1")
	}
	r.release("192.0.2.2")
	if n := len(r.byAddress); n != 0 {
		t.Fatalf("%d addresses without sockets are still kept", n)
	}
}
