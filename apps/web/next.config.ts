import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The workspace packages export TypeScript sources (no build step); Next compiles them like our own.
  transpilePackages: ['@tuneboard/hparams', '@tuneboard/filter', '@tuneboard/findings'],
  poweredByHeader: false,
};

export default nextConfig;
