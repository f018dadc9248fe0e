using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Push;
using WechatGateway.Tests.Wechat;

namespace WechatGateway.Tests.Push;

public sealed class SendLeaseTests : SendQueueTest
{
    [Test]
    public async Task ASlowWechatDoesNotLetAnotherDispatcherResendWhatOneIsStillSending()
    {
        // WeChat stalls the first call for 4 s (under the client's 5 s timeout), four times the 1 s lease here.
        await SimulatorControl.AddFaultAsync("message/custom/send", delayMs: 4000, count: 1);
        await AddAsync(CustomText("o_slow_1", "first", "push:30:1"), CustomText("o_slow_2", "second", "push:30:2"));
        await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None);
        var other = ActivatorUtilities.CreateInstance<SendDispatcher>(Queue.Services);

        var first = Service<SendDispatcher>().RunOnceAsync(CancellationToken.None);
        await Task.Delay(2500); // past the lease and the claim idle time, while the first call still stalls
        await other.RunOnceAsync(CancellationToken.None);
        await first;

        Assert.That(await MessagesToAsync("o_slow_1"), Has.Count.EqualTo(1), "the stalled send is not sent again by the other dispatcher");
        Assert.That(await MessagesToAsync("o_slow_2"), Has.Count.EqualTo(1), "nor the one sent but not yet recorded");
        Assert.That(await CallsAsync("message/custom/send"), Is.EqualTo(2));
    }
}
