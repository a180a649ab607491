const n=32,h=32,w=32,c=3,k=7,s=2,p=3; const ho=16,wo=16,kk=k*k*c;
const xs=new Float32Array(n*h*w*c).fill(1);
for (let r=0;r<5;r++){const t=performance.now();
const out = new Float32Array(n * ho * wo * kk);
    let o = 0;
    for (let b = 0; b < n; b++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
      for (let ky = 0; ky < k; ky++) {
        const iy = oy * s - p + ky;
        for (let kx = 0; kx < k; kx++) {
          const ix = ox * s - p + kx;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
            const base = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) out[o + ch] = xs[base + ch];
          }
          o += c;
        }
      }
    }
console.log(performance.now()-t);}
