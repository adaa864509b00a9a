package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteInterceptor;

class InterceptorChainTest {

    @Test
    void descendingRankingThenServiceId() {
        InterceptorChain chain = new InterceptorChain();
        InviteInterceptor a = i -> InviteAction.forward();
        InviteInterceptor b = i -> InviteAction.forward();
        InviteInterceptor c = i -> InviteAction.forward();
        chain.add(a, 0, 12);
        chain.add(b, 10, 30);
        chain.add(c, 0, 5);
        assertEquals(List.of(b, c, a), chain.entries().stream().map(InterceptorChain.Entry::interceptor).toList());
        List<InviteInterceptor> gone = new ArrayList<>();
        chain.onUnbind(e -> gone.add(e.interceptor()));
        chain.remove(c);
        chain.remove(c);
        assertEquals(List.of(c), gone, "told once");
        chain.reorder(a, 20, 12);
        assertEquals(List.of(a, b), chain.entries().stream().map(InterceptorChain.Entry::interceptor).toList());
    }
}
