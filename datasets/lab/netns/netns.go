package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// envMarker carries the parent's network namespace identity to the child, which checks that
// its own differs before it calls itself private.
const envMarker = "RISKMAP_NETNS_PARENT"

// ErrUnavailable means this machine or user cannot create a network namespace.
var ErrUnavailable = errors.New("netns: cannot create a private network namespace")

// Private reports whether this process runs in a private network namespace created by
// Reexec: the marker is set and the namespace differs from the parent's.
func Private() bool {
	parent := os.Getenv(envMarker)
	if parent == "" {
		return false
	}
	self, err := current()
	return err == nil && self != parent
}

func current() (string, error) {
	return os.Readlink("/proc/self/ns/net")
}

// Command returns a command that runs the current executable with args inside a new network
// namespace. The caller starts it.
func Command(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	ns, err := current()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), envMarker+"="+ns)
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	return cmd, nil
}

// Reexec runs the current executable, with the same arguments, inside a new network namespace
// and returns its exit code. SIGINT and SIGTERM are passed on to the child.
func Reexec() (int, error) {
	cmd, err := Command(os.Args[1:]...)
	if err != nil {
		return 1, err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// LoopbackUp brings the lo interface up in the current network namespace.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns: loopback up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("netns: loopback up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: loopback flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: loopback up: %w", err)
	}
	return nil
}

// Interfaces lists the network interfaces of the current namespace, from /proc/net/dev (which,
// unlike /sys/class/net, follows the reading process's namespace).
func Interfaces() ([]string, error) {
	stats, err := ReadCounters()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(stats))
	for name := range stats {
		names = append(names, name)
	}
	return names, nil
}

// Counters are one interface's packet and byte counts.
type Counters struct {
	RxBytes, RxPackets, TxBytes, TxPackets uint64
}

// ReadCounters reads every interface's counters in the current namespace from /proc/net/dev.
func ReadCounters() (map[string]Counters, error) {
	b, err := os.ReadFile("/proc/self/net/dev")
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	out := map[string]Counters{}
	for i, line := range strings.Split(string(b), "\n") {
		if i < 2 || strings.TrimSpace(line) == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 10 {
			return nil, fmt.Errorf("netns: /proc/self/net/dev line %d: want 16 fields, got %d", i+1, len(f))
		}
		var c Counters
		if _, err := fmt.Sscan(f[0]+" "+f[1]+" "+f[8]+" "+f[9], &c.RxBytes, &c.RxPackets, &c.TxBytes, &c.TxPackets); err != nil {
			return nil, fmt.Errorf("netns: /proc/self/net/dev line %d: %w", i+1, err)
		}
		out[strings.TrimSpace(name)] = c
	}
	return out, nil
}
