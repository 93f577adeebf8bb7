package lab

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap/datasets/estate"
)

// mongodb answers OP_QUERY commands: isMaster and hello always; serverStatus and buildInfo only
// without --auth, and otherwise with the "not authorized" error of 3.x.
func mongodb(c net.Conn, b *binding) {
	for {
		hdr := make([]byte, 16)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(hdr)
		reqID := binary.LittleEndian.Uint32(hdr[4:])
		op := binary.LittleEndian.Uint32(hdr[12:])
		if n < 16 || n > 1<<20 {
			return
		}
		body := make([]byte, n-16)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if op != 2004 {
			return // only OP_QUERY
		}
		db, cmd := queryCommand(body)
		var doc []byte
		switch strings.ToLower(cmd) {
		case "ismaster", "hello":
			doc = bson(func(d *bsonDoc) {
				d.bool("ismaster", true)
				d.int32("maxBsonObjectSize", 16777216)
				d.int32("maxMessageSizeBytes", 48000000)
				d.int32("maxWireVersion", 9)
				d.int32("minWireVersion", 0)
				d.double("ok", 1)
			})
		case "listdatabases":
			if b.svc.Auth {
				doc = bson(func(d *bsonDoc) {
					d.double("ok", 0)
					d.str("errmsg", fmt.Sprintf("not authorized on %s to execute command { %s: 1.0 }", db, cmd))
					d.int32("code", 13)
				})
				break
			}
			doc = bson(func(d *bsonDoc) {
				d.doc(0x04, "databases", func(a *bsonDoc) {
					for i, name := range []string{"admin", "app", "local"} {
						a.doc(0x03, strconv.Itoa(i), func(x *bsonDoc) {
							x.str("name", name)
							x.double("sizeOnDisk", float64(32768*(i+1)))
							x.bool("empty", false)
						})
					}
				})
				d.double("totalSize", 196608)
				d.double("ok", 1)
			})
		case "serverstatus", "buildinfo":
			if b.svc.Auth {
				doc = bson(func(d *bsonDoc) {
					d.double("ok", 0)
					d.str("errmsg", fmt.Sprintf("not authorized on %s to execute command { %s: 1.0 }", db, cmd))
					d.int32("code", 13)
					d.str("codeName", "Unauthorized")
				})
				break
			}
			doc = bson(func(d *bsonDoc) {
				d.str("host", b.in.Hostname())
				d.str("version", b.svc.Version)
				d.str("process", "mongod")
				d.int32("pid", int32(b.in.PID(b.svc.Port)))
				d.double("uptime", float64(estate.Uptime(&b.in, b.now)))
				d.double("ok", 1)
			})
		default:
			doc = bson(func(d *bsonDoc) {
				d.double("ok", 0)
				d.str("errmsg", "no such command: '"+cmd+"'")
				d.int32("code", 59)
			})
		}
		reply := make([]byte, 36, 36+len(doc))
		binary.LittleEndian.PutUint32(reply[0:], uint32(36+len(doc)))
		binary.LittleEndian.PutUint32(reply[4:], reqID+1)
		binary.LittleEndian.PutUint32(reply[8:], reqID)
		binary.LittleEndian.PutUint32(reply[12:], 1) // OP_REPLY
		binary.LittleEndian.PutUint32(reply[16:], 8) // AwaitCapable
		binary.LittleEndian.PutUint32(reply[32:], 1) // one document
		if _, err := c.Write(append(reply, doc...)); err != nil {
			return
		}
	}
}

// queryCommand returns the database and the command (the query's first key) of an OP_QUERY
// body: flags, "db.$cmd", skip, return, query document.
func queryCommand(body []byte) (string, string) {
	if len(body) < 4 {
		return "", ""
	}
	rest := body[4:]
	i := strings.IndexByte(string(rest), 0)
	if i < 0 {
		return "", ""
	}
	coll := string(rest[:i])
	db, _, _ := strings.Cut(coll, ".")
	rest = rest[i+1:]
	if len(rest) < 8+5+2 {
		return db, ""
	}
	q := rest[8+4:] // skip numberToSkip, numberToReturn, the document length
	q = q[1:]       // the element type
	j := strings.IndexByte(string(q), 0)
	if j < 0 {
		return db, ""
	}
	return db, string(q[:j])
}

// bsonDoc builds a BSON document, keys in call order.
type bsonDoc struct{ b []byte }

func bson(f func(*bsonDoc)) []byte {
	d := &bsonDoc{}
	f(d)
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(d.b)+5))
	return append(append(out, d.b...), 0)
}

func (d *bsonDoc) key(t byte, k string) { d.b = append(append(append(d.b, t), k...), 0) }

// doc adds an embedded document (t 0x03) or array (t 0x04, keys "0", "1", ...).
func (d *bsonDoc) doc(t byte, k string, f func(*bsonDoc)) {
	d.key(t, k)
	d.b = append(d.b, bson(f)...)
}

func (d *bsonDoc) double(k string, v float64) {
	d.key(0x01, k)
	d.b = binary.LittleEndian.AppendUint64(d.b, math.Float64bits(v))
}

func (d *bsonDoc) str(k, v string) {
	d.key(0x02, k)
	d.b = binary.LittleEndian.AppendUint32(d.b, uint32(len(v)+1))
	d.b = append(append(d.b, v...), 0)
}

func (d *bsonDoc) bool(k string, v bool) {
	d.key(0x08, k)
	if v {
		d.b = append(d.b, 1)
	} else {
		d.b = append(d.b, 0)
	}
}

func (d *bsonDoc) int32(k string, v int32) {
	d.key(0x10, k)
	d.b = binary.LittleEndian.AppendUint32(d.b, uint32(v))
}
