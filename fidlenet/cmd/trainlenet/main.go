// Command trainlenet trains fid_lenet's feature network with a fixed seed on
// the MNIST training split, reports its test accuracy, and writes the
// weights, their SHA-256, a record of the run and the reference statistics
// of the test split's features into package fidlenet's weights folder. Run
// it from the repository root after scripts/mnist-data.sh:
//
//	go run -tags openblas ./fidlenet/cmd/trainlenet            # retrain (minutes)
//	go run ./fidlenet/cmd/trainlenet -ref-only                 # only recompute ref-test.json.gz
//
// Progress goes to stderr; the final record (lenet.json) is printed on
// stdout. Exit codes: 0 ok, 2 bad flags or input, 1 failure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"genlab/data"
	"genlab/fidlenet"
	"genlab/metrics"
	"genlab/nn"
	"genlab/results"
)

type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "trainlenet: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trainlenet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "directory with the MNIST idx files (default: data/mnist of this checkout)")
	out := fs.String("out", filepath.Join("fidlenet", "weights"), "folder to write the weights into")
	seed := fs.Uint64("seed", 0, "seed of initialisation (stream 1) and shuffles (stream 2)")
	cfg := fidlenet.DefaultConfig
	tc := fidlenet.DefaultTrainConfig
	fs.IntVar(&cfg.C1, "c1", cfg.C1, "channels of the first convolution")
	fs.IntVar(&cfg.C2, "c2", cfg.C2, "channels of the second convolution")
	fs.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "feature dimension")
	fs.IntVar(&tc.Epochs, "epochs", tc.Epochs, "training epochs")
	fs.IntVar(&tc.Batch, "batch", tc.Batch, "batch size")
	fs.Float64Var(&tc.LR, "lr", tc.LR, "peak learning rate (cosine decay to 0)")
	fs.Float64Var(&tc.WeightDecay, "wd", tc.WeightDecay, "decoupled weight decay")
	refOnly := fs.Bool("ref-only", false, "keep the weights in -out; only recompute the reference statistics")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if st, err := os.Stat(*out); err != nil || !st.IsDir() {
		return usageError{fmt.Errorf("-out %s: not a directory (run from the repository root)", *out)}
	}
	dir := *dataDir
	if dir == "" {
		var err error
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return usageError{err}
		}
	}
	test, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		return usageError{err}
	}
	var net *fidlenet.Net
	var info fidlenet.Info
	if *refOnly {
		b, err := os.ReadFile(filepath.Join(*out, fidlenet.WeightsFile))
		if err != nil {
			return usageError{err}
		}
		sum, err := os.ReadFile(filepath.Join(*out, fidlenet.SHA256File))
		if err != nil {
			return usageError{err}
		}
		if net, info.SHA256, err = fidlenet.LoadBytes(b, string(sum)); err != nil {
			return err
		}
	} else {
		train, err := data.LoadMNIST(dir, data.MNISTTrain)
		if err != nil {
			return usageError{err}
		}
		if net, err = fidlenet.New(cfg, rand.New(rand.NewPCG(*seed, 1))); err != nil {
			return usageError{err}
		}
		fmt.Fprintf(stderr, "trainlenet: %+v, %d parameters, %+v, seed %d, BLAS %s, GOMAXPROCS %d\n",
			cfg, net.NumParams(), tc, *seed, nn.BLAS(), runtime.GOMAXPROCS(0))
		start := time.Now()
		err = fidlenet.Train(ctx, net, train, tc, rand.New(rand.NewPCG(*seed, 2)), func(ep, step int, loss float64) {
			if step%500 == 0 || step%(train.N/tc.Batch) == 0 {
				fmt.Fprintf(stderr, "trainlenet: epoch %d step %d loss %.4f (%s)\n", ep, step, loss, time.Since(start).Round(time.Second))
			}
		})
		if err != nil {
			return err
		}
		info.TrainSeconds = time.Since(start).Seconds()
		b := net.Encode()
		info.SHA256 = fidlenet.SHA256Hex(b)
		if err := results.WriteFileAtomic(filepath.Join(*out, fidlenet.WeightsFile), b); err != nil {
			return err
		}
		if err := results.WriteFileAtomic(filepath.Join(*out, fidlenet.SHA256File), []byte(fidlenet.SHA256Line(b))); err != nil {
			return err
		}
	}
	acc, _, err := net.Accuracy(test, fidlenet.DefaultExtractBatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trainlenet: test accuracy %.4f (%d images), weights %s\n", acc, test.N, info.SHA256)

	ex, err := net.NewExtractor(fidlenet.DefaultExtractBatch)
	if err != nil {
		return err
	}
	defer ex.Close()
	f, err := ex.Features(test)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ref := fidlenet.RefStats{WeightsSHA256: info.SHA256, Split: string(data.MNISTTest), Stats: metrics.FitGaussian(f)}
	if err := fidlenet.EncodeRefStats(&buf, ref); err != nil {
		return err
	}
	if err := results.WriteFileAtomic(filepath.Join(*out, fidlenet.ReferenceFile), buf.Bytes()); err != nil {
		return err
	}
	if *refOnly {
		return nil
	}
	info.Config, info.Train, info.Seed = cfg, tc, *seed
	info.TestAccuracy, info.TestN = acc, test.N
	info.BLAS, info.GoVersion = nn.BLAS(), runtime.Version()
	js, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if err := results.WriteFileAtomic(filepath.Join(*out, fidlenet.InfoFile), js); err != nil {
		return err
	}
	_, err = stdout.Write(js)
	return err
}
