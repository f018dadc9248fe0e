using WechatSimulator.Follower;

namespace WechatSimulator;

// A named entry point rather than top-level statements: the web SDK makes a top-level Program public, and the
// gateway's tests reference both projects, where the gateway owns the global Program.
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // `push ...` drives a gateway as a follower would; anything else starts the fake WeChat API.
        if (args.Length > 0 && args[0] == "push")
        {
            return await PushCommand.RunAsync(args[1..], Console.Out, Console.Error);
        }

        await SimulatorApp.Build(args).RunAsync();
        return 0;
    }
}
