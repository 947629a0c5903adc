"""The statistics of the report: intervals and tests of differences in
test accuracy (scipy.stats)."""
import statistics

from scipy import stats


def welch(a, b):
    """Welch's t-test of two samples: (t, two-sided p), or None if either
    has fewer than two values."""
    if len(a) < 2 or len(b) < 2:
        return None
    test = stats.ttest_ind(a, b, equal_var=False)
    return test.statistic, test.pvalue


def interval95(values):
    """The 95% confidence interval of the mean (Student's t)."""
    n = len(values)
    if n < 2:
        return None
    half = stats.t.ppf(0.975, n - 1) * statistics.stdev(values) / n ** 0.5
    mean = statistics.mean(values)
    return mean - half, mean + half


def difference_interval95(a, b):
    """The 95% confidence interval of mean(a) - mean(b), with Welch's
    degrees of freedom (Welch-Satterthwaite)."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff = statistics.mean(a) - statistics.mean(b)
    if va + vb == 0:
        return diff, diff
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * (va + vb) ** 0.5
    return diff - half, diff + half


def mcnemar(labels, first, second):
    """McNemar's exact test of two classifiers on the same examples (strings
    of one class digit per example): (examples only the first gets right,
    examples only the second gets right, two-sided p)."""
    only_first = sum(f == y != s for y, f, s in zip(labels, first, second))
    only_second = sum(s == y != f for y, f, s in zip(labels, first, second))
    n = only_first + only_second
    p = stats.binomtest(only_first, n, 0.5).pvalue if n else 1.0
    return only_first, only_second, p


def median_interval95(values):
    """The median and a distribution-free 95% confidence interval of it:
    the order statistics whose ranks the binomial(n, 1/2) distribution
    puts 2.5% outside on each side. None for fewer than six values, whose
    widest interval still covers less than 95%."""
    n = len(values)
    if n < 6:
        return None
    ordered = sorted(values)
    low = int(stats.binom.ppf(0.025, n, 0.5))
    if stats.binom.cdf(low, n, 0.5) > 0.025:
        low -= 1
    return statistics.median(values), (ordered[low], ordered[n - 1 - low])


def wilcoxon_greater(differences):
    """Wilcoxon's signed-rank test that the differences lie above zero:
    the one-sided p-value, or None for fewer than two nonzero values."""
    if sum(d != 0 for d in differences) < 2:
        return None
    return stats.wilcoxon(differences, alternative="greater").pvalue
