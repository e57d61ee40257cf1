// Package smoke holds nothing but a guard: importing gorgonia must not panic at init.
package smoke
