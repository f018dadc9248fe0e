using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Tests.Wechat;

namespace WechatGateway.Tests.Push;

public sealed class DispatcherSafetyTests : SendQueueTest
{
    [Test]
    public async Task ADeadSendIsLoggedWithItsOpenIdHashed()
    {
        const string openId = "o_dead_and_logged";
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: -1, count: 3);
        var id = (await AddAsync(CustomText(openId, "never", "push:31:reply")))[0];
        var log = new CapturedLogger<SendDispatcher>();
        var dispatcher = ActivatorUtilities.CreateInstance<SendDispatcher>(Queue.Services, log);

        // SendQueue:MaxAttempts is 3 here, with back-offs of at most 1 s.
        for (var i = 0; i < 100 && (await RowAsync(id)).Status != SendStatus.Dead; i++)
        {
            await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None);
            await dispatcher.RunUntilIdleAsync(CancellationToken.None);
            await Task.Delay(100);
        }

        Assert.That((await RowAsync(id)).Status, Is.EqualTo(SendStatus.Dead));
        Assert.That(log.Lines, Has.Some.Contains(WechatGateway.Privacy.PersonalData.Hash(openId)));
        Assert.That(log.Lines, Has.None.Contains(openId));
    }

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
