#!/usr/bin/env python3
"""apiserver_preload.py - tests/fakeapi/fake_apiserver.py with a cluster
already in it, for the benchmark's list and watch figures.

  apiserver_preload.py FAKEAPI_DIR CLUSTER_DIR [fake_apiserver options...]

Imports fake_apiserver from FAKEAPI_DIR, fills its state with the
services.json and endpointslices.json of CLUSTER_DIR (bench/gen_cluster.py),
and its namespaces.json, nodes.json and pods.json where there are such files
(bench/gen_pods.py), as if they had been created before the history starts
(no watch events), then runs its main() with the remaining arguments
(--port-file, --port, --ctl-port, ...).
The fake server's file is used as it is; nothing here changes it.
"""

import json
import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: apiserver_preload.py FAKEAPI_DIR CLUSTER_DIR [options]")
    fakedir, cluster = sys.argv[1], sys.argv[2]
    sys.path.insert(0, fakedir)
    import fake_apiserver as fa

    files = (("services", "services.json"),
             ("endpointslices", "endpointslices.json"),
             ("namespaces", "namespaces.json"),
             ("nodes", "nodes.json"),
             ("pods", "pods.json"))
    optional = ("namespaces", "nodes", "pods")
    base = fa.State

    class Preloaded(base):
        def __init__(self, args):
            super().__init__(args)
            n = 0
            for resource, fname in files:
                _, kind, api = fa.BY_NAME[resource]
                path = os.path.join(cluster, fname)
                if resource in optional and not os.path.exists(path):
                    continue
                with open(path) as f:
                    items = json.load(f)["items"]
                for obj in items:
                    obj["kind"] = kind
                    obj["apiVersion"] = api
                    md = obj["metadata"]
                    md["resourceVersion"] = str(self.bump())
                    self.objects[resource][(md.get("namespace", ""), md["name"])] = obj
                    n += 1
            # history starts after the preloaded objects
            self.compacted = 0
            sys.stderr.write("apiserver_preload: %d objects, rv %d\n" % (n, self.rv))

    fa.State = Preloaded
    sys.argv = [sys.argv[0]] + sys.argv[3:]
    fa.main()


if __name__ == "__main__":
    main()
