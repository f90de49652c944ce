// The Kubernetes API client: see the files of this target.
