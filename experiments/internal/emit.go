package internal

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SlurmLogDir is the directory, under an experiment's run directory, that
// holds the output and error files of each array element of an emitted
// Slurm job (task-<index>.out, task-<index>.err).
const SlurmLogDir = "slurm"

// ArrayList writes task indices (ascending) as a Slurm --array list with
// ranges: 0-3,7,9-10.
func ArrayList(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			fmt.Fprintf(&b, "-%d", idx[j])
		}
		i = j + 1
	}
	return b.String()
}

// slurmScript is the sbatch script of s: one array element per task, each
// rerunning the same command, which picks its task from
// SLURM_ARRAY_TASK_ID; a requeued or resubmitted element skips a finished
// task and resumes an unfinished one from its checkpoint.
func slurmScript(s sweep, maxRunning int) string {
	logs := filepath.Join(s.out, s.experiment, SlurmLogDir)
	array := fmt.Sprintf("0-%d", s.n-1)
	if maxRunning > 0 {
		array += "%" + strconv.Itoa(maxRunning)
	}
	argv := s.argv(s.out)
	cmd := shellLine(append([]string{s.bin}, argv...)...)
	collect := shellLine(append([]string{s.bin}, append(argv, "-collect")...)...)
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# genlab %s: %d tasks, one per array element (the task index is SLURM_ARRAY_TASK_ID).\n", s.experiment, s.n)
	fmt.Fprintf(&b, "# Submit: sbatch THIS_FILE; resubmit some tasks: sbatch --array=3,5 THIS_FILE.\n")
	fmt.Fprintf(&b, "# A requeued or resubmitted element reruns the same command: a finished task is\n")
	fmt.Fprintf(&b, "# skipped, an unfinished one resumes from its checkpoint, and a task another job\n")
	fmt.Fprintf(&b, "# still runs is waited for (its directory's lock file).\n")
	fmt.Fprintf(&b, "# When the job has ended: %s\n", collect)
	if s.binNote != "" {
		fmt.Fprintf(&b, "# Note: %s\n", s.binNote)
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=genlab-%s\n", s.experiment)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.threads)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", s.cwd)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(logs, "task-%a.out"))
	fmt.Fprintf(&b, "#SBATCH --error=%s\n", filepath.Join(logs, "task-%a.err"))
	fmt.Fprintf(&b, "#SBATCH --open-mode=append\n")
	fmt.Fprintf(&b, "#SBATCH --requeue\n")
	fmt.Fprintf(&b, "set -eu\n")
	fmt.Fprintf(&b, "export OPENBLAS_NUM_THREADS=1\n")
	fmt.Fprintf(&b, "echo \"genlab: %s task ${SLURM_ARRAY_TASK_ID} job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} (id ${SLURM_JOB_ID}) node ${SLURMD_NODENAME:-$(hostname)} restart ${SLURM_RESTART_COUNT:-0} at $(date -u +%%FT%%TZ)\" >&2\n", s.experiment)
	fmt.Fprintf(&b, "exec %s\n", cmd)
	return b.String()
}

// k8sManifest is the Indexed Job of s: completions = task count, each pod
// running the same command, which picks its task from JOB_COMPLETION_INDEX,
// with the run root on the PersistentVolumeClaim genlab-runs mounted at
// /runs.
func k8sManifest(s sweep, parallelism int, image string) string {
	const mount = "/runs"
	args := s.argv(mount)
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	cmd := make([]string, 0, len(args)+1)
	cmd = append(cmd, q(s.experiment))
	for _, a := range args {
		cmd = append(cmd, q(a))
	}
	name := "genlab-" + strings.ToLower(s.experiment)
	var b strings.Builder
	fmt.Fprintf(&b, "# genlab %s: %d tasks, one per completion index (JOB_COMPLETION_INDEX).\n", s.experiment, s.n)
	fmt.Fprintf(&b, "# Apply: kubectl apply -f THIS_FILE. The image must hold the binary %s on its PATH\n", s.experiment)
	fmt.Fprintf(&b, "# (make build; copy bin/* to /usr/local/bin). The run root is the ReadWriteMany\n")
	fmt.Fprintf(&b, "# PersistentVolumeClaim genlab-runs, mounted at %s. A restarted pod reruns the same\n", mount)
	fmt.Fprintf(&b, "# command: a finished task is skipped, an unfinished one resumes from its checkpoint.\n")
	fmt.Fprintf(&b, "# When the job has ended, with the volume mounted at DIR: %s -out DIR -collect\n", s.experiment)
	fmt.Fprintf(&b, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\n", name)
	fmt.Fprintf(&b, "spec:\n  completionMode: Indexed\n  completions: %d\n  parallelism: %d\n  backoffLimit: %d\n", s.n, parallelism, 3*s.n)
	fmt.Fprintf(&b, "  template:\n    spec:\n      restartPolicy: OnFailure\n      containers:\n")
	fmt.Fprintf(&b, "        - name: %s\n          image: %s\n", strings.ToLower(s.experiment), q(image))
	fmt.Fprintf(&b, "          command: [%s]\n", strings.Join(cmd, ", "))
	fmt.Fprintf(&b, "          env:\n            - name: OPENBLAS_NUM_THREADS\n              value: \"1\"\n")
	fmt.Fprintf(&b, "          resources:\n            requests:\n              cpu: \"%d\"\n            limits:\n              cpu: \"%d\"\n", s.threads, s.threads)
	fmt.Fprintf(&b, "          volumeMounts:\n            - name: runs\n              mountPath: %s\n", mount)
	fmt.Fprintf(&b, "      volumes:\n        - name: runs\n          persistentVolumeClaim:\n            claimName: genlab-runs\n")
	return b.String()
}

// emit prints r's sweep of n tasks as a Slurm script or a Kubernetes
// manifest on r.Stdout. For Slurm it creates the log directory, which
// sbatch needs before the job starts.
func emit(r Runner, n int) error {
	s, err := newSweep(r, n)
	if err != nil {
		return err
	}
	switch r.Cluster.Emit {
	case EmitSlurm:
		logs := filepath.Join(s.out, s.experiment, SlurmLogDir)
		if err := os.MkdirAll(logs, 0o755); err != nil {
			return fmt.Errorf("-emit slurm: %w", err)
		}
		if _, err := fmt.Fprint(r.Stdout, slurmScript(s, r.Cluster.MaxRunning)); err != nil {
			return fmt.Errorf("-emit slurm: %w", err)
		}
		fmt.Fprintf(r.Stderr, "%s: %d tasks; submit with sbatch, logs in %s\n", r.Experiment, n, logs)
	case EmitK8s:
		if _, err := fmt.Fprint(r.Stdout, k8sManifest(s, r.Cluster.Parallelism, r.Cluster.Image)); err != nil {
			return fmt.Errorf("-emit k8s: %w", err)
		}
		fmt.Fprintf(r.Stderr, "%s: %d tasks; submit with kubectl apply -f\n", r.Experiment, n)
	default:
		return Usagef("-emit %q: want slurm or k8s", r.Cluster.Emit)
	}
	return nil
}
