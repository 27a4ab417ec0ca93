package io.redtx.samples.webflux;

import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;

/**
 * Reads {@link OrderRequest#quantity()} only from a JSON integer. Jackson's defaults would coerce {@code 1.5} to 1 and
 * {@code "2"} to 2: an order for one and a half widgets would quietly become an order for one, and a client sending
 * strings would not learn that it does. Refused here, the body fails to decode and {@link CheckoutProblemHandler}
 * answers 400 {@code INVALID_INPUT} naming the field. Range (1 to {@value CheckoutService#MAX_QUANTITY}) is the
 * service's check; JSON {@code null} never reaches this class (the field is then missing, which the service reports).
 */
public final class QuantityDeserializer extends ValueDeserializer<Integer> {

    /** Created by Jackson. */
    public QuantityDeserializer() {}

    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctxt) {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            return ctxt.reportInputMismatch(
                    Integer.class, "quantity must be a whole number of items, was %s", describe(p));
        }
        if (p.getNumberType() != JsonParser.NumberType.INT) {
            return ctxt.reportInputMismatch(
                    Integer.class, "quantity must be 1 to %d, was %s", CheckoutService.MAX_QUANTITY, p.getString());
        }
        return p.getIntValue();
    }

    private static String describe(JsonParser p) {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            return "the string \"" + p.getString() + "\"";
        }
        if (token == JsonToken.START_OBJECT) {
            return "an object";
        }
        if (token == JsonToken.START_ARRAY) {
            return "an array";
        }
        return p.getString();
    }
}
