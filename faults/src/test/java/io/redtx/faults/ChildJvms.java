package io.redtx.faults;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/** What the fault tests do with the child JVMs they start. */
final class ChildJvms {

    private ChildJvms() {}

    /** Closes (kills) every child, even after one failed to close; the first failure is thrown, the others suppressed. */
    static void closeAll(List<? extends Closeable> children) throws IOException {
        IOException first = null;
        for (Closeable child : children) {
            try {
                child.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
