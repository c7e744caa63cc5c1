package main

// Methods the simulator (govmomi 0.24) lacks but nova's and cinder's VMware drivers call. They are added
// the way the simulator's own documentation suggests: wrap the registered object in a type with the
// extra method and put the wrapper in the registry under the same managed object reference.

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// datastoreFile maps "[ds] dir/file" to the local file backing it, or reports why it cannot.
func datastoreFile(name string) (string, types.BaseMethodFault) {
	var p object.DatastorePath
	if !p.FromString(name) {
		return "", &types.InvalidDatastorePath{DatastorePath: name}
	}
	for _, e := range simulator.Map.All("Datastore") {
		if ds := e.(*simulator.Datastore); ds.Name == p.Datastore {
			return filepath.Join(ds.Info.GetDatastoreInfo().Url, p.Path), nil
		}
	}
	return "", &types.InvalidDatastore{Name: p.Datastore}
}

// diskManager adds ExtendVirtualDisk_Task (cinder's volume extend).
type diskManager struct {
	*simulator.VirtualDiskManager
}

// ExtendVirtualDiskTask succeeds when the disk's descriptor exists; a flat extent next to it is grown
// (sparsely) to the new capacity, never shrunk.
func (m *diskManager) ExtendVirtualDiskTask(req *types.ExtendVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "extendVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		file, fault := datastoreFile(req.Name)
		if fault != nil {
			return nil, fault
		}
		if _, err := os.Stat(file); err != nil {
			return nil, &types.FileNotFound{FileFault: types.FileFault{File: req.Name}}
		}
		flat := strings.TrimSuffix(file, ".vmdk") + "-flat.vmdk"
		size := req.NewCapacityKb * 1024
		if fi, err := os.Stat(flat); err == nil && fi.Size() < size {
			if err = os.Truncate(flat, size); err != nil {
				return nil, &types.FileFault{File: req.Name}
			}
		}
		return nil, nil
	})
	return &methods.ExtendVirtualDisk_TaskBody{Res: &types.ExtendVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

// extensionManager keeps registered extensions in memory (nova registers org.openstack.compute and
// looks it up at start).
type extensionManager struct {
	mo.ExtensionManager
}

func (m *extensionManager) index(key string) int {
	for i := range m.ExtensionList {
		if m.ExtensionList[i].Key == key {
			return i
		}
	}
	return -1
}

func (m *extensionManager) FindExtension(req *types.FindExtension) soap.HasFault {
	res := &types.FindExtensionResponse{}
	if i := m.index(req.ExtensionKey); i >= 0 {
		ext := m.ExtensionList[i]
		res.Returnval = &ext
	}
	return &methods.FindExtensionBody{Res: res}
}

func (m *extensionManager) RegisterExtension(req *types.RegisterExtension) soap.HasFault {
	if m.index(req.Extension.Key) < 0 {
		m.ExtensionList = append(m.ExtensionList, req.Extension)
	}
	return &methods.RegisterExtensionBody{Res: &types.RegisterExtensionResponse{}}
}

func (m *extensionManager) UnregisterExtension(req *types.UnregisterExtension) soap.HasFault {
	if i := m.index(req.ExtensionKey); i >= 0 {
		m.ExtensionList = append(m.ExtensionList[:i], m.ExtensionList[i+1:]...)
	}
	return &methods.UnregisterExtensionBody{Res: &types.UnregisterExtensionResponse{}}
}

// searchIndex adds FindAllByUuid (cinder's VMDK driver looks volume backings up with it).
type searchIndex struct {
	*simulator.SearchIndex
}

func (s *searchIndex) FindAllByUuid(req *types.FindAllByUuid) soap.HasFault {
	res := &types.FindAllByUuidResponse{}
	byInstance := req.InstanceUuid != nil && *req.InstanceUuid
	if req.VmSearch {
		for _, e := range simulator.Map.All("VirtualMachine") {
			vm, ok := e.(*simulator.VirtualMachine)
			if !ok || vm.Config == nil {
				continue
			}
			id := vm.Config.Uuid
			if byInstance {
				id = vm.Config.InstanceUuid
			}
			if id == req.Uuid {
				res.Returnval = append(res.Returnval, vm.Self)
			}
		}
	} else {
		for _, e := range simulator.Map.All("HostSystem") {
			h, ok := e.(*simulator.HostSystem)
			if ok && h.Summary.Hardware != nil && h.Summary.Hardware.Uuid == req.Uuid {
				res.Returnval = append(res.Returnval, h.Self)
			}
		}
	}
	return &methods.FindAllByUuidBody{Res: res}
}

// addExtensions replaces the SearchIndex, VirtualDiskManager and ExtensionManager of the service
// content with the wrappers above.
func addExtensions(sc types.ServiceContent) {
	si := simulator.Map.Get(*sc.SearchIndex).(*simulator.SearchIndex)
	simulator.Map.Put(&searchIndex{si})
	vdm := simulator.Map.Get(*sc.VirtualDiskManager).(*simulator.VirtualDiskManager)
	simulator.Map.Put(&diskManager{vdm})
	em := &extensionManager{}
	em.Self = *sc.ExtensionManager
	simulator.Map.Put(em)
}
