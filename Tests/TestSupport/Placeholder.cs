namespace TestSupport; public static class Placeholder {}
