// The Kubernetes API emulator: see the files of this target.
