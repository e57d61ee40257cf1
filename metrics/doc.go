// Package metrics holds sample-based distances between distributions used to
// score generative models: the Fréchet distance between Gaussian fits of
// feature sets (FID-style), the kernel inception distance (KID, an unbiased
// MMD² with a cubic polynomial kernel), RBF-kernel MMD², sliced Wasserstein
// distances, k-NN precision/recall (Kynkäänniemi et al. 2019), and the small
// statistics used to summarise and test results (Student-t confidence
// intervals, Kolmogorov–Smirnov tests, Spearman's rank correlation), tail
// statistics (quantiles, the Hill estimator) and disentanglement scores of
// codes against known factors (intervention matrix, MIG, DCI, FactorVAE).
//
// Everything is float64 over gonum. Samples are *mat.Dense with one sample
// per row. Randomness (directions, subsets, pair sampling) comes only from an
// explicitly passed *rand.Rand (math/rand/v2). Shape mismatches panic;
// numerical failures are returned as wrapped errors.
package metrics
