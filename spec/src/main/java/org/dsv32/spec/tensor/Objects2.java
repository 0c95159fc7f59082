package org.dsv32.spec.tensor;

final class Objects2 {
    private Objects2() {}

    static int checkIndex(int i, int n) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("index " + i + " outside [0, " + n + ")");
        return i;
    }
}
