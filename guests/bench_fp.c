/* A floating-point guest with two kernels:
 *
 *   bench_fp sse [N [D]]  N products of two DxD double matrices (default 40, D 64, at most
 *                     64): SSE2 scalar or packed arithmetic on x86-64, x87 in the i386 build
 *   bench_fp x87 [N]  N steps (default 20000) of a five-body gravity simulation in long
 *                     double: x87 arithmetic and FSQRT in every build
 *   bench_fp          both, with their default sizes
 *
 * Each prints its result in hexadecimal floating point (%a, %La), which names every bit,
 * so a run under an emulator must reproduce the native run's rounding exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 64
#define BODIES 5

/* C = A x B for the top-left n x n corners, row by row (the inner loop runs along a row
 * of B). */
static void matmul(double c[DIM][DIM], const double a[DIM][DIM], const double b[DIM][DIM], int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++)
			c[i][j] = 0;
		for (int k = 0; k < n; k++) {
			double aik = a[i][k];
			for (int j = 0; j < n; j++)
				c[i][j] += aik * b[k][j];
		}
	}
}

/* Rows of positive weights that sum to one (up to rounding): a product of such matrices
 * is one too, so repeated products neither overflow nor vanish. */
static void stochastic_fill(double m[DIM][DIM], uint32_t seed, int n)
{
	for (int i = 0; i < n; i++) {
		double sum = 0;
		for (int j = 0; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			m[i][j] = 1.0 + (double)(seed >> 16) / 65536.0;
			sum += m[i][j];
		}
		for (int j = 0; j < n; j++)
			m[i][j] /= sum;
	}
}

static int run_sse(long n, int dim)
{
	static double a[DIM][DIM], b[DIM][DIM], c[DIM][DIM];
	stochastic_fill(a, 1, dim);
	stochastic_fill(b, 2, dim);
	for (long r = 0; r < n; r++) {
		matmul(c, a, b, dim);
		memcpy(a, c, sizeof(a));
	}
	double trace = 0, sum = 0;
	uint64_t hash = 0;
	for (int i = 0; i < dim; i++) {
		trace += a[i][i];
		for (int j = 0; j < dim; j++) {
			uint64_t bits;
			memcpy(&bits, &a[i][j], 8);
			hash = (hash ^ bits) * 0x100000001b3ULL;
			sum += a[i][j];
		}
	}
	printf("matmul %dx%d x %ld: trace %a sum %a hash %016llx\n", dim, dim, n, trace, sum,
	       (unsigned long long)hash);
	return 0;
}

struct body {
	long double x[3]; /* position */
	long double v[3]; /* velocity */
	long double mass;
};

/* FSQRT directly: libm is not linked, and this keeps the kernel on the x87 unit. */
static long double x87_sqrt(long double x)
{
	__asm__("fsqrt" : "+t"(x));
	return x;
}

/* One step of the pairwise gravity integration (semi-implicit Euler), time step dt. */
static void advance(struct body *b, long double dt)
{
	for (int i = 0; i < BODIES; i++) {
		for (int j = i + 1; j < BODIES; j++) {
			long double d[3], d2 = 0;
			for (int k = 0; k < 3; k++) {
				d[k] = b[i].x[k] - b[j].x[k];
				d2 += d[k] * d[k];
			}
			long double mag = dt / (d2 * x87_sqrt(d2));
			for (int k = 0; k < 3; k++) {
				b[i].v[k] -= d[k] * b[j].mass * mag;
				b[j].v[k] += d[k] * b[i].mass * mag;
			}
		}
	}
	for (int i = 0; i < BODIES; i++)
		for (int k = 0; k < 3; k++)
			b[i].x[k] += dt * b[i].v[k];
}

static long double energy(const struct body *b)
{
	long double e = 0;
	for (int i = 0; i < BODIES; i++) {
		e += 0.5L * b[i].mass *
		     (b[i].v[0] * b[i].v[0] + b[i].v[1] * b[i].v[1] + b[i].v[2] * b[i].v[2]);
		for (int j = i + 1; j < BODIES; j++) {
			long double d2 = 0;
			for (int k = 0; k < 3; k++)
				d2 += (b[i].x[k] - b[j].x[k]) * (b[i].x[k] - b[j].x[k]);
			e -= b[i].mass * b[j].mass / x87_sqrt(d2);
		}
	}
	return e;
}

static int run_x87(long n)
{
	/* A heavy central body and four light ones on roughly circular orbits. */
	struct body b[BODIES] = {
	    {{0, 0, 0}, {0, 0, 0}, 1000.0L},	{{10, 0, 0}, {0, 10, 0.1L}, 1.0L},
	    {{0, 20, 1}, {-7.07L, 0, 0}, 2.0L}, {{-30, 0, 0}, {0, -5.77L, 0.2L}, 0.5L},
	    {{0, -40, -2}, {5, 0, 0}, 3.0L},
	};
	long double e0 = energy(b);
	for (long s = 0; s < n; s++)
		advance(b, 0.001L);
	long double e1 = energy(b);
	printf("n-body %ld steps: energy %La -> %La, x0 %La\n", n, e0, e1, b[1].x[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int dim = argc > 3 ? atoi(argv[3]) : DIM;
	if (dim < 1 || dim > DIM)
		dim = DIM;
	if (!strcmp(mode, "sse"))
		return run_sse(n ? n : 40, dim);
	if (!strcmp(mode, "x87"))
		return run_x87(n ? n : 20000);
	if (!strcmp(mode, "all"))
		return run_sse(40, DIM) | run_x87(20000);
	fprintf(stderr, "usage: bench_fp [sse|x87|all] [N [D]]\n");
	return 2;
}
