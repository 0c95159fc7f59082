package org.dsv32.reference;

import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.generate.SpeculativeDecoding;

/**
 * The reference's speculative decoding: the backend-generic loop of {@link SpeculativeDecoding} (drafting, one
 * verifying forward of two tokens, acceptance, rollback) over the reference's own model and MTP module, so every
 * logit it decides on is float64. Its steps are the protected methods of that class (the acceptance rule:
 * {@link SpeculativeDecoding#accepts}).
 */
public class ReferenceSpeculativeDecoding extends SpeculativeDecoding {
    public ReferenceSpeculativeDecoding(OpContext context, Backend self) { super(self, context); }
}
