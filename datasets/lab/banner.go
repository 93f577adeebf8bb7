package lab

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Services that speak first: nmap names them from their greeting alone.

func ssh(c net.Conn, b *binding) {
	if _, err := io.WriteString(c, b.svc.Banner+"\r\n"); err != nil {
		return
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && !strings.HasPrefix(line, "SSH-") {
		_, _ = io.WriteString(c, "Invalid SSH identification string.\r\n")
	}
}

// mysql sends the protocol 10 greeting, then refuses whatever login follows.
func mysql(c net.Conn, b *binding) {
	plugin := "mysql_native_password"
	if strings.HasPrefix(b.svc.Banner, "8.") {
		plugin = "caching_sha2_password"
	}
	salt := []byte("8hJ>q:]x/0B;#%/=Fs2a")
	p := []byte{10}
	p = append(p, b.svc.Banner...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, uint32(connID(b))&0xffffff)
	p = append(p, salt[:8]...)
	p = append(p, 0)
	p = append(p, 0xff, 0xf7) // capabilities, low
	p = append(p, 0xff)       // utf8mb4
	p = append(p, 0x02, 0x00) // SERVER_STATUS_AUTOCOMMIT
	p = append(p, 0xff, 0xdf) // capabilities, high
	p = append(p, 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, salt[8:]...)
	p = append(p, 0)
	p = append(p, plugin...)
	p = append(p, 0)
	if err := writeMySQL(c, 0, p); err != nil {
		return
	}
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return
	}
	msg := fmt.Sprintf("#28000Access denied for user 'root'@'%s' (using password: YES)", remoteHost(c))
	_ = writeMySQL(c, hdr[3]+1, append([]byte{0xff, 0x15, 0x04}, msg...))
}

func writeMySQL(w io.Writer, seq byte, payload []byte) error {
	n := len(payload)
	_, err := w.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...))
	return err
}

func connID(b *binding) int {
	return 8 + int(b.now.Sub(b.in.LaunchedAt)/time.Minute)%100000
}

func remoteHost(c net.Conn) string {
	h, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	return h
}

// vsftpd is enough of an FTP server for nmap's ftp-anon and ftp-syst: login (anonymous when
// the service has no Auth), SYST, PWD, FEAT, QUIT.
func vsftpd(c net.Conn, b *binding) {
	w := func(s string) bool { _, err := io.WriteString(c, s+"\r\n"); return err == nil }
	if !w("220 (vsFTPd " + b.svc.Version + ")") {
		return
	}
	r := bufio.NewReader(c)
	user, in := "", false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		var ok bool
		switch strings.ToUpper(cmd) {
		case "USER":
			user = arg
			ok = w("331 Please specify the password.")
		case "PASS":
			if !b.svc.Auth && (user == "anonymous" || user == "ftp") {
				in = true
				ok = w("230 Login successful.")
			} else {
				ok = w("530 Login incorrect.")
			}
		case "SYST":
			ok = w("215 UNIX Type: L8")
		case "FEAT":
			ok = w("211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n211 End")
		case "PWD":
			if in {
				ok = w(`257 "/" is the current directory`)
			} else {
				ok = w("530 Please login with USER and PASS.")
			}
		case "TYPE":
			ok = w("200 Switching to Binary mode.")
		case "QUIT":
			w("221 Goodbye.")
			return
		case "":
			ok = w("500 OOPS: ")
		default:
			if in {
				ok = w("425 Use PORT or PASV first.")
			} else {
				ok = w("530 Please login with USER and PASS.")
			}
		}
		if !ok {
			return
		}
	}
}

// telnet negotiates as Linux telnetd (netkit) does, then asks for a login it never grants.
func telnet(c net.Conn, b *binding) {
	if _, err := c.Write([]byte{0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27}); err != nil {
		return
	}
	r := bufio.NewReader(c)
	buf := make([]byte, 256)
	if _, err := r.Read(buf); err != nil {
		return
	}
	if _, err := io.WriteString(c, "\r\n"+b.in.OS+"\r\n"+b.in.Hostname()+" login: "); err != nil {
		return
	}
	for step := 0; step < 6; step++ {
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		prompt := "Password: "
		if step%2 == 1 {
			prompt = "\r\nLogin incorrect\r\n" + b.in.Hostname() + " login: "
		}
		if _, err := io.WriteString(c, prompt); err != nil {
			return
		}
	}
}

// smtp greets as Postfix or Exim and answers the few commands nmap's scripts send.
func smtp(c net.Conn, b *binding) {
	host := b.in.Hostname() + ".ec2.internal"
	greet := "220 " + host + " " + b.svc.Banner
	if b.svc.Kind == "exim" {
		greet = "220 " + host + " ESMTP Exim " + b.svc.Version + " " + b.now.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
	}
	if _, err := io.WriteString(c, greet+"\r\n"); err != nil {
		return
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		var reply string
		switch strings.ToUpper(cmd) {
		case "EHLO":
			reply = "250-" + host + "\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
				"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 DSN"
		case "HELO":
			reply = "250 " + host
		case "QUIT":
			_, _ = io.WriteString(c, "221 2.0.0 Bye\r\n")
			return
		case "NOOP", "RSET":
			reply = "250 2.0.0 Ok"
		case "":
			reply = "500 5.5.2 Error: bad syntax"
		default:
			reply = "502 5.5.2 Error: command not recognized"
		}
		if _, err := io.WriteString(c, reply+"\r\n"); err != nil {
			return
		}
	}
}

// vnc does the RFB 3.8 handshake: security type None, or VNC authentication that always fails.
func vnc(c net.Conn, b *binding) {
	if _, err := io.WriteString(c, b.svc.Banner+"\n"); err != nil {
		return
	}
	ver := make([]byte, 12)
	if _, err := io.ReadFull(c, ver); err != nil {
		return
	}
	if !b.svc.Auth {
		if _, err := c.Write([]byte{1, 1}); err != nil {
			return
		}
		choice := make([]byte, 1)
		if _, err := io.ReadFull(c, choice); err != nil || choice[0] != 1 {
			return
		}
		if _, err := c.Write([]byte{0, 0, 0, 0}); err != nil {
			return
		}
		if _, err := io.ReadFull(c, choice); err != nil { // ClientInit
			return
		}
		name := b.in.Hostname() + ":1 (lab)"
		si := []byte{0x04, 0x00, 0x03, 0x00, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0}
		si = binary.BigEndian.AppendUint32(si, uint32(len(name)))
		_, _ = c.Write(append(si, name...))
		_, _ = io.Copy(io.Discard, c)
		return
	}
	if _, err := c.Write([]byte{1, 2}); err != nil {
		return
	}
	choice := make([]byte, 1)
	if _, err := io.ReadFull(c, choice); err != nil || choice[0] != 2 {
		return
	}
	if _, err := c.Write([]byte("0123456789abcdef")); err != nil {
		return
	}
	resp := make([]byte, 16)
	if _, err := io.ReadFull(c, resp); err != nil {
		return
	}
	reason := "Authentication failed"
	out := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 1}, uint32(len(reason)))
	_, _ = c.Write(append(out, reason...))
}

// rdp answers an X.224 connection request as Windows does when it selects CredSSP.
func rdp(c net.Conn, b *binding) {
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 3 {
		return
	}
	n := int(binary.BigEndian.Uint16(hdr[2:]))
	if n < 4 || n > 1024 {
		return
	}
	if _, err := io.ReadFull(c, make([]byte, n-4)); err != nil {
		return
	}
	// The lab stops here: CredSSP's TLS and NTLM exchange that would follow is not simulated,
	// so the client's next words end the connection at once rather than on a timeout.
	_, _ = c.Write([]byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00})
	_, _ = c.Read(make([]byte, 1))
}
