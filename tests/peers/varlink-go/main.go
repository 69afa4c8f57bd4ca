// A varlink peer written against varlink-go (not passd's own client): connects to passd, makes
// the calls a third-party client would, and prints one JSON object with what came back, for
// test-varlink-go.py to judge. Exit status 0 unless the transport itself failed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/varlink/go/varlink"
)

type result struct {
	Info struct {
		Vendor, Product, Version, URL string
		Interfaces                    []string
	}
	Description   string                   `json:"description"`
	Devices       []map[string]interface{} `json:"devices"`
	Device        map[string]interface{}   `json:"device"`
	NoSuchDevice  map[string]interface{}   `json:"no_such_device"`
	ExpectedMore  string                   `json:"expected_more"`
	WatchFirst    map[string]interface{}   `json:"watch_first"`
	WatchContinue bool                     `json:"watch_continues"`
	Errors        []string                 `json:"errors"`
}

// varlinkError turns err into "Name {parameters}" when it is a varlink error reply.
func varlinkError(err error) (string, map[string]interface{}) {
	verr, ok := err.(*varlink.Error)
	if !ok {
		return "", nil
	}
	params := map[string]interface{}{}
	if raw, ok := verr.Parameters.(*json.RawMessage); ok && raw != nil {
		_ = json.Unmarshal(*raw, &params)
	}
	return verr.Name, params
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: varlink-go-peer unix:/path/to/socket ADDRESS")
		os.Exit(2)
	}
	address, device := os.Args[1], os.Args[2]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := varlink.NewConnection(ctx, address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer conn.Close()

	var r result
	fail := func(step string, err error) {
		r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", step, err))
	}

	if err := conn.GetInfo(ctx, &r.Info.Vendor, &r.Info.Product, &r.Info.Version, &r.Info.URL,
		&r.Info.Interfaces); err != nil {
		fail("GetInfo", err)
	}
	if r.Description, err = conn.GetInterfaceDescription(ctx, "io.passd.Manager"); err != nil {
		fail("GetInterfaceDescription", err)
	}

	var list struct {
		Devices []map[string]interface{} `json:"devices"`
	}
	if err := conn.Call(ctx, "io.passd.Manager.ListDevices", struct{}{}, &list); err != nil {
		fail("ListDevices", err)
	}
	r.Devices = list.Devices

	var one struct {
		Device map[string]interface{} `json:"device"`
	}
	in := map[string]string{"address": device}
	if err := conn.Call(ctx, "io.passd.Manager.GetDevice", in, &one); err != nil {
		fail("GetDevice", err)
	}
	r.Device = one.Device

	in = map[string]string{"address": "0000:09:00.0"}
	err = conn.Call(ctx, "io.passd.Manager.GetDevice", in, &one)
	name, params := varlinkError(err)
	if name == "" {
		fail("GetDevice(unknown)", fmt.Errorf("expected an error reply, got %v", err))
	}
	r.NoSuchDevice = map[string]interface{}{"error": name, "parameters": params}

	// Watch without "more" is a usage error the service must report, not hang on
	err = conn.Call(ctx, "io.passd.Manager.Watch", struct{}{}, &struct{}{})
	r.ExpectedMore, _ = varlinkError(err)

	// Watch with "more": the first reply is the "subscribed" event and it continues
	recv, err := conn.Send(ctx, "io.passd.Manager.Watch", struct{}{}, varlink.More)
	if err != nil {
		fail("Watch send", err)
	} else {
		var ev struct {
			Event map[string]interface{} `json:"event"`
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		flags, err := recv(wctx, &ev)
		wcancel()
		if err != nil {
			fail("Watch receive", err)
		}
		r.WatchFirst = ev.Event
		r.WatchContinue = flags&varlink.Continues != 0
	}

	out, _ := json.MarshalIndent(&r, "", "  ")
	fmt.Println(string(out))
}
