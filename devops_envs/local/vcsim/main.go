// Command vcsimd serves govmomi's vCenter simulator (VPX model) shaped for the local lab: one datacenter
// with one or more clusters, each of one host named 127.0.0.1, VMFS datastores with chosen names shared by
// every host, fixed credentials and the vim WSDL under /sdk/ for oslo.vmware. It is built offline in GOPATH mode against Debian's
// golang-github-vmware-govmomi-dev (see devops_envs/local/vcsim_build.py), with patches/*.patch applied.
//
// The inventory is created in a fixed order on every start, so managed object references (the clusters'
// in particular, which nova-compute remembers) stay the same across restarts with the same flags. The first
// cluster is the model's own (so a one-cluster lab has exactly the inventory it always had); further clusters
// are created after it, in the order given.
// All state is in memory: a restart forgets every VM and file made by the clients.
package main

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Names the VPX model gives to the objects this launcher renames.
const (
	modelDatacenter = "DC0"
	modelCluster    = "DC0_C0"
	modelHost       = "DC0_C0_H0"
	// hostName is the cluster host's name: nova and cinder use it as the ESX address for datastore
	// HTTP transfers, and the simulator serves /folder on its own address anyway.
	hostName = "127.0.0.1"
	// datastoreType is reported for every datastore: the simulator says OTHER, but nova and cinder
	// only accept VMFS, NFS, NFS41 and vsan datastores.
	datastoreType = string(types.HostFileSystemVolumeFileSystemTypeVMFS)
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$`)

type options struct {
	listen     string
	user       string
	pass       string
	datacenter string
	clusters   []string
	datastores []string
	wsdlDir    string
	vms        int
	// instanceUUID is the vCenter's About.InstanceUuid. nova's VMware driver names its node
	// <cluster moref>.<instance uuid>: two simulators with the model's fixed uuid (and the same first cluster
	// moref) would give two nova-computes one placement provider name, and the second gets 409s.
	instanceUUID string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("vcsimd", flag.ContinueOnError)
	fs.StringVar(&o.listen, "l", "127.0.0.1:18990", "listen address host:port (port 0 picks a free port)")
	fs.StringVar(&o.user, "user", "", "user name the simulator accepts at login (required)")
	fs.StringVar(&o.pass, "pass", "", "password the simulator accepts at login (required; default $VCSIM_PASSWORD, which keeps it out of ps)")
	fs.StringVar(&o.datacenter, "datacenter", modelDatacenter, "name of the datacenter")
	cl := fs.String("cluster", modelCluster, "comma-separated names of the clusters (each has one host, named "+hostName+")")
	ds := fs.String("datastores", "", "comma-separated names of extra VMFS datastores mounted on every host")
	fs.StringVar(&o.wsdlDir, "wsdl-dir", "", "serve this directory's *.wsdl/*.xsd files under /sdk/ (vimService.wsdl)")
	fs.IntVar(&o.vms, "vm", 0, "number of sample VMs the model creates in the cluster's resource pool")
	fs.StringVar(&o.instanceUUID, "instance-uuid", "", "the vCenter's instance uuid (default: the model's fixed one)")
	err := fs.Parse(args)
	if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.pass == "" {
		o.pass = os.Getenv("VCSIM_PASSWORD")
	}
	if o.user == "" || o.pass == "" {
		return nil, errors.New("-user and -pass (or $VCSIM_PASSWORD) are required")
	}
	if o.datacenter == "" {
		return nil, errors.New("-datacenter must not be empty")
	}
	if o.clusters, err = names(*cl, "cluster"); err != nil {
		return nil, err
	}
	if len(o.clusters) == 0 {
		return nil, errors.New("-cluster must name at least one cluster")
	}
	if o.instanceUUID != "" && !uuidPattern.MatchString(o.instanceUUID) {
		return nil, fmt.Errorf("-instance-uuid %q is not a uuid (8-4-4-4-12 hex digits)", o.instanceUUID)
	}
	if o.vms < 0 {
		return nil, errors.New("-vm must not be negative")
	}
	if o.datastores, err = names(*ds, "datastore"); err != nil {
		return nil, err
	}
	if o.wsdlDir != "" {
		if _, err := os.Stat(filepath.Join(o.wsdlDir, "vimService.wsdl")); err != nil {
			return nil, fmt.Errorf("-wsdl-dir: %v", err)
		}
	}
	return o, nil
}

// names splits a comma-separated flag value into names, refusing characters an inventory path or a datastore
// path cannot hold and repeats.
func names(value, what string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, name := range strings.Split(value, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if strings.ContainsAny(name, "/[]") || seen[name] {
			return nil, fmt.Errorf("bad or repeated %s name %q", what, name)
		}
		seen[name] = true
		out = append(out, name)
	}
	return out, nil
}

// taskFix is a registry handler that clears Task.Info.Entity when the task's target is not a
// ManagedEntity (VirtualDiskManager, FileManager, ...): the simulator sets it to any target, and strict
// clients such as pyvmomi 9 reject a TaskInfo whose entity is not a ManagedEntity.
type taskFix struct{}

func (taskFix) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VcsimdTaskFix", Value: "taskfix"}
}

func (taskFix) UpdateObject(mo.Reference, []types.PropertyChange) {}

func (taskFix) RemoveObject(types.ManagedObjectReference) {}

func (taskFix) PutObject(o mo.Reference) {
	t, ok := o.(*simulator.Task)
	if !ok || t.Info.Entity == nil {
		return
	}
	if _, isEntity := simulator.Map.Get(*t.Info.Entity).(mo.Entity); !isEntity {
		t.Info.Entity, t.Info.EntityName = nil, ""
	}
}

// findEntity returns the registered entity of the given type and name.
func findEntity(kind, name string) (mo.Entity, error) {
	for _, e := range simulator.Map.All(kind) {
		if e.Entity().Name == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%s %q not found in the model", kind, name)
}

// rename gives an entity a new name, as Rename_Task does (the host has no Rename_Task in vCenter).
func rename(kind, oldName, newName string) error {
	e, err := findEntity(kind, oldName)
	if err != nil || oldName == newName {
		return err
	}
	simulator.Map.Update(e, []types.PropertyChange{{Name: "name", Val: newName}})
	if h, ok := e.(*simulator.HostSystem); ok {
		h.Summary.Config.Name = newName
		if net.ParseIP(newName) != nil && h.Config != nil && h.Config.Network != nil && len(h.Config.Network.Vnic) > 0 {
			h.Config.Network.Vnic[0].Spec.Ip.IpAddress = newName
		}
	}
	return nil
}

// shapeInventory renames the model's objects, adds the extra datastores and the further clusters, and mounts
// every datastore on every host (one shared storage, as the lab's vSphere clusters see the same datastores). It
// returns the directory holding the extra datastores' files (to remove at exit).
func shapeInventory(ctx context.Context, c *vim25.Client, o *options) (string, error) {
	for _, r := range []struct{ kind, from, to string }{
		{"Datacenter", modelDatacenter, o.datacenter},
		{"ClusterComputeResource", modelCluster, o.clusters[0]},
		{"HostSystem", modelHost, hostName},
	} {
		if err := rename(r.kind, r.from, r.to); err != nil {
			return "", err
		}
	}

	root, err := ioutil.TempDir("", "vcsimd-ds-")
	if err != nil {
		return "", err
	}
	// Looked up before further hosts exist: they all get the same name.
	first, err := findEntity("HostSystem", hostName)
	if err != nil {
		return root, err
	}
	dss, err := object.NewHostSystem(c, first.Reference()).ConfigManager().DatastoreSystem(ctx)
	if err != nil {
		return root, err
	}
	for _, name := range o.datastores {
		if _, err = findEntity("Datastore", name); err == nil {
			return root, fmt.Errorf("datastore %s already exists in the model", name)
		}
		dir := filepath.Join(root, name)
		if err = os.Mkdir(dir, 0o755); err != nil {
			return root, err
		}
		if _, err = dss.CreateLocalDatastore(ctx, name, dir); err != nil {
			return root, fmt.Errorf("datastore %s: %v", name, err)
		}
	}
	for _, name := range o.clusters[1:] {
		host, err := addCluster(ctx, c, o.datacenter, name)
		if err != nil {
			return root, fmt.Errorf("cluster %s: %v", name, err)
		}
		for _, ds := range datastoresByName() {
			mountShared(ds, host)
		}
	}
	for _, e := range simulator.Map.All("Datastore") {
		e.(*simulator.Datastore).Summary.Type = datastoreType
	}
	return root, nil
}

// datastoresByName lists the model's datastores in name order (the registry's order is random): the hosts
// then list them the same way on every start.
func datastoresByName() []*simulator.Datastore {
	var out []*simulator.Datastore
	for _, e := range simulator.Map.All("Datastore") {
		out = append(out, e.(*simulator.Datastore))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// addCluster creates a cluster in the datacenter with one connected host named hostName (every ESX address of
// the lab is the simulator's own: nova and cinder reach the host's /folder there) and returns that host.
func addCluster(ctx context.Context, c *vim25.Client, datacenter, name string) (*simulator.HostSystem, error) {
	dc, err := findEntity("Datacenter", datacenter)
	if err != nil {
		return nil, err
	}
	folders, err := object.NewDatacenter(c, dc.Reference()).Folders(ctx)
	if err != nil {
		return nil, err
	}
	cluster, err := folders.HostFolder.CreateCluster(ctx, name, types.ClusterConfigSpecEx{})
	if err != nil {
		return nil, err
	}
	task, err := cluster.AddHost(ctx, types.HostConnectSpec{HostName: hostName}, true, nil, nil)
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return nil, err
	}
	host := simulator.Map.Get(info.Result.(types.ManagedObjectReference)).(*simulator.HostSystem)
	// The model derives a host's hardware uuid from its name: give this one its own, as a real ESX has.
	sum := md5.Sum([]byte("vcsimd-host/" + name))
	id := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	host.Summary.Hardware.Uuid, host.Hardware.SystemInfo.Uuid = id, id
	return host, nil
}

// mountShared mounts an existing datastore on another host the way vCenter shows shared storage: the datastore
// lists the host's mount, and the host, its datastore system and its cluster list the datastore (the simulator
// places a VM's files only on a datastore its host lists).
func mountShared(ds *simulator.Datastore, host *simulator.HostSystem) {
	mount := types.DatastoreHostMount{Key: host.Self, MountInfo: types.HostMountInfo{
		AccessMode: string(types.HostMountModeReadWrite), Mounted: types.NewBool(true), Accessible: types.NewBool(true)}}
	if len(ds.Host) > 0 {
		mount.MountInfo = ds.Host[0].MountInfo
	}
	ds.Host = append(ds.Host, mount)
	dss := simulator.Map.Get(*host.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem)
	simulator.Map.AddReference(dss, &dss.Datastore, ds.Self)
	host.Datastore = dss.Datastore
	if cluster, ok := simulator.Map.Get(*host.Parent).(*simulator.ClusterComputeResource); ok {
		simulator.Map.AddReference(cluster, &cluster.Datastore, ds.Self)
	}
}

// wsdlHandler serves the flat directory dir's WSDL and XSD files (what vCenter serves under /sdk/).
// The SOAP endpoints /sdk and /sdk/vimService are more specific patterns and keep their handlers.
func wsdlHandler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/sdk/")
		ext := path.Ext(name)
		if strings.Contains(name, "/") || (ext != ".wsdl" && ext != ".xsd") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, name))
	})
}

// startServer starts serving; the simulator panics when it cannot listen, turn that into an error.
func startServer(svc *simulator.Service) (s *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return svc.NewServer(), nil
}

func run(args []string) int {
	o, err := parseFlags(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vcsimd:", err)
		}
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "vcsimd:", err)
		return 1
	}

	m := simulator.VPX()
	m.Host = 0        // no standalone host
	m.ClusterHost = 1 // one cluster host, renamed to 127.0.0.1
	m.Machine = o.vms
	if err = m.Create(); err != nil {
		return fail(err)
	}
	defer m.Remove()
	if o.instanceUUID != "" {
		// The ServiceInstance keeps its own copy of the content: RetrieveServiceContent answers from it.
		si := simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
		si.Content.About.InstanceUuid = o.instanceUUID
	}
	simulator.Map.AddHandler(taskFix{})
	addExtensions(m.ServiceContent)

	ctx := context.Background()
	c, err := vim25.NewClient(ctx, m.Service) // in-process client, no network and no login
	if err != nil {
		return fail(err)
	}
	dsRoot, err := shapeInventory(ctx, c, o)
	if dsRoot != "" {
		defer os.RemoveAll(dsRoot)
	}
	if err != nil {
		return fail(err)
	}

	m.Service.Listen = &url.URL{Host: o.listen, User: url.UserPassword(o.user, o.pass)}
	m.Service.TLS = new(tls.Config) // self-signed certificate for localhost
	m.Service.ServeMux = http.NewServeMux()
	if o.wsdlDir != "" {
		m.Service.ServeMux.Handle("/sdk/", wsdlHandler(o.wsdlDir))
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s, err := startServer(m.Service)
	if err != nil {
		return fail(err)
	}
	defer s.Close()

	u := *s.URL
	u.User = nil // never print the password
	fmt.Printf("ready %s\n", u.String())
	<-sig
	return 0
}

func main() {
	os.Exit(run(os.Args[1:]))
}
